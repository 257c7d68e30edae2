/* The console's one script (no framework, nothing from a CDN), on every page: the menu
   button of a narrow screen, order entry as you type, and the dispatch board refreshing its
   table. */
"use strict";

function rupiah(amount) {
  return "Rp" + amount.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

function orderEntry(form) {
  const search = document.getElementById("item-search");
  const results = document.getElementById("item-results");
  const cartBody = document.querySelector("#cart tbody");
  const lines = document.getElementById("lines");
  const agreedFee = document.getElementById("agreed-fee");
  const cap = Number(form.dataset.cap);
  const cart = new Map(); // item id -> {item, quantity}
  // After a refusal the page comes back with the cart as it was, at today's prices.
  JSON.parse(form.dataset.cart || "[]").forEach(({ item, quantity }) => cart.set(item.id, { item, quantity }));
  let found = [];
  let chosen = 0;
  let timer = null;

  function showResults(words = "") {
    results.innerHTML = "";
    if (words && !found.length) {
      const li = document.createElement("li");
      li.className = "nothing";
      li.textContent = search.dataset.nothing.split("{words}").join(words); // "$&" stays as typed
      results.appendChild(li);
    }
    found.forEach((item, index) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.textContent = `${item.code} ${item.name} ${item.price_text}/${item.unit} (${item.vendor}, ${item.market})`;
      if (!item.available) li.classList.add("gone");
      if (index === chosen) li.classList.add("chosen");
      li.addEventListener("click", () => { chosen = index; add(); });
      results.appendChild(li);
    });
  }

  function render() {
    cartBody.innerHTML = "";
    let goods = 0;
    let fee = 0;
    cart.forEach(({ item, quantity }, id) => {
      goods += item.price * quantity;
      fee = item.fee;
      const row = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = `${item.code} ${item.name} (${item.unit})`;
      const amount = document.createElement("td");
      const input = document.createElement("input");
      input.type = "number"; input.min = "1"; input.max = "50"; input.value = quantity;
      input.setAttribute("aria-label", `${item.code}`);
      input.addEventListener("change", () => {
        cart.get(id).quantity = Math.max(1, Number(input.value) || 1); render();
      });
      amount.appendChild(input);
      const total = document.createElement("td");
      total.className = "money";
      total.textContent = rupiah(item.price * quantity);
      const remove = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button"; button.textContent = form.dataset.remove;
      button.addEventListener("click", () => { cart.delete(id); render(); });
      remove.appendChild(button);
      row.append(name, amount, total, remove);
      cartBody.appendChild(row);
    });
    document.getElementById("goods").textContent = rupiah(goods);
    document.getElementById("fee").textContent = rupiah(fee);
    document.getElementById("total").textContent = rupiah(goods + fee);
    document.getElementById("cap").classList.toggle("over", goods > cap);
    document.getElementById("cap").title = goods > cap ? form.dataset.overCap : "";
    // The prices and fee shown are posted with the lines: the order is charged exactly these,
    // or refused and shown again at today's prices.
    lines.value = Array.from(cart, ([id, line]) => `${id}:${line.quantity}:${line.item.price}`).join(",");
    agreedFee.value = cart.size ? String(fee) : "";
  }

  function add() {
    const item = found[chosen];
    if (!item) return;
    const line = cart.get(item.id);
    if (line) line.quantity += 1; else cart.set(item.id, { item, quantity: 1 });
    search.value = ""; found = []; showResults(); render(); search.focus();
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const words = search.value.trim();
      if (!words) { found = []; showResults(); return; }
      const response = await fetch(`${search.dataset.url}?q=${encodeURIComponent(words)}`);
      found = await response.json(); chosen = 0; showResults(words);
    }, 150);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.ctrlKey) { event.preventDefault(); add(); }
    if (event.key === "ArrowDown") { chosen = Math.min(chosen + 1, found.length - 1); showResults(); }
    if (event.key === "ArrowUp") { chosen = Math.max(chosen - 1, 0); showResults(); }
  });
  // "/" goes to the search and is never typed there (no code or name has one); in the
  // name and address it is typed, as addresses have them ("No. 5/7").
  document.addEventListener("keydown", (event) => {
    const typing = event.target.matches("input[type=text], input:not([type]), textarea");
    if (event.key === "/" && !event.ctrlKey && !event.altKey && (event.target === search || !typing)) {
      event.preventDefault(); search.focus(); search.select();
    }
    if (event.key === "Enter" && event.ctrlKey) { event.preventDefault(); form.requestSubmit(); }
  });
  // Sent once: the button is off while the order is being placed (the server also places
  // one order per form, whatever is sent twice).
  form.addEventListener("submit", (event) => {
    const button = document.getElementById("place");
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    button.disabled = true;
  });
  // Back to this page from the browser's cache: it may be sent again (the server knows
  // whether its key placed an order already, and for whom).
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    delete form.dataset.sending;
    document.getElementById("place").disabled = false;
  });
  render();
  // A refusal is said at the cart, where the staff member's eyes are.
  const refusal = document.getElementById("refusal");
  if (refusal) refusal.scrollIntoView({ block: "center" });
}

function boardRefresh(board) {
  setInterval(async () => {
    const response = await fetch(board.dataset.url, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok && !document.activeElement.closest("#board form")) {
      board.innerHTML = await response.text();
    }
  }, 10000);
}

// On a phone the nav folds behind one button (console.css shows it below 60rem), only
// when this script runs: without it the links stay open.
document.documentElement.classList.add("js");
const menuButton = document.getElementById("menu-button");
if (menuButton) {
  menuButton.addEventListener("click", () => {
    const open = menuButton.closest("header").classList.toggle("open");
    menuButton.setAttribute("aria-expanded", String(open));
  });
}

const orderForm = document.getElementById("order-form");
if (orderForm) orderEntry(orderForm);
const board = document.getElementById("board");
if (board) boardRefresh(board);

// A form that cannot be undone asks first (data-confirm holds the question). Delegated, so
// the board's forms still ask after each refresh.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
