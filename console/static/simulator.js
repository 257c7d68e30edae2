/* The Simulator page: phones side by side, each dialling USSD, calling or texting the gateway
   through the console (which posts to the webhooks as the providers do). Each phone keeps
   what a provider keeps between two requests and sends it back with every key. */
"use strict";

(function () {
  const root = document.getElementById("phones");
  if (!root) return;
  const texts = JSON.parse(root.dataset.texts);
  const base = root.dataset.base;
  const template = document.getElementById("phone-template");
  const POLL_MS = 2000;
  // The settings form is never sent (the Content-Security-Policy forbids inline handlers).
  document.getElementById("simulator-settings")
    .addEventListener("submit", (event) => event.preventDefault());

  function t(key, params = {}) {
    return (texts[key] || key).replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");
  }

  async function request(path, body) {
    const options = body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body),
    };
    const response = await fetch(`${base}/${path}`, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function soundOn() {
    return document.getElementById("sound").checked;
  }

  function playFile(url, cancelled) {
    return new Promise((resolve) => {
      if (cancelled()) return resolve();
      const audio = new Audio(url);
      audio.onended = audio.onerror = () => resolve();
      audio.play().catch(() => resolve());
    });
  }

  function speak(text, lang, cancelled) {
    return new Promise((resolve) => {
      if (cancelled() || !window.speechSynthesis) return resolve();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = lang === "en" ? "en-GB" : "id-ID";
      utterance.rate = 0.9; // slow, clear speech, as the callers hear it
      utterance.onend = utterance.onerror = () => resolve();
      speechSynthesis.speak(utterance);
    });
  }

  class Phone {
    constructor(person) {
      this.el = template.content.firstElementChild.cloneNode(true);
      this.role = person.role;
      this.number = this.el.querySelector("input[name=number]");
      this.screen = this.el.querySelector(".screen");
      this.status = this.el.querySelector(".status");
      this.entry = this.el.querySelector(".entry");
      this.dialButton = this.el.querySelector(".dial");
      this.number.value = person.phone;
      this.label(person);
      this.ussd = null; // the USSD session: {session_id, text, ...}
      this.call = null; // the call: {provider, call_id, action, on_silence, listen}
      this.prompts = [];
      this.messages = [];
      this.direct = []; // Twilio's replies in its webhook answer: {sent, text}
      this.seen = 0; // how many received SMS the thread has shown
      this.playing = 0; // which playback is current: a newer one cancels the older
      this.wire();
      this.setMode(person.role === "customer" ? "ussd" : "sms");
      root.appendChild(this.el);
      this.poll();
      setInterval(() => this.poll(), POLL_MS);
    }

    wire() {
      this.el.querySelectorAll(".modes button").forEach((button) =>
        button.addEventListener("click", () => this.setMode(button.dataset.mode)));
      this.el.querySelectorAll(".keypad button").forEach((button) =>
        button.addEventListener("click", () => this.key(button.dataset.key)));
      this.dialButton.addEventListener("click", () => this.green());
      this.el.querySelector(".hangup").addEventListener("click", () => this.red());
      this.el.querySelector(".silence").addEventListener("click", () => this.act({ action: "silence" }));
      this.el.querySelector(".missed").addEventListener("click", () => this.missedCall());
      this.el.querySelector(".pick-up").addEventListener("click", () => this.pickUp());
      this.el.querySelector(".let-ring").addEventListener("click", () => this.letRing());
      this.entry.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.green();
        }
      });
      this.number.addEventListener("change", () => {
        this.label(whoIs(this.number.value));
        this.ussd = this.call = null;
        this.direct = [];
        this.seen = 0;
        this.poll();
        this.draw();
      });
    }

    // Who the number is (customer, courier or trader, from the phone book): said above the
    // screen, and again whenever the number is changed.
    label(person) {
      this.role = person.role;
      this.el.dataset.role = person.role;
      this.el.querySelector(".who").textContent = person.phone || person.name
        ? [t(`simulator.role.${person.role}`), person.name, person.detail].filter(Boolean).join(" · ")
        : "";
    }

    setMode(mode) {
      this.mode = mode;
      this.el.dataset.mode = mode;
      this.el.querySelectorAll(".modes button").forEach((button) =>
        button.setAttribute("aria-selected", String(button.dataset.mode === mode)));
      if (mode === "sms") this.seen = this.received();
      this.say("");
      this.dialButton.textContent = t(mode === "sms" ? "simulator.send" : "simulator.dial");
      this.draw();
    }

    say(message, isError = false) {
      this.status.textContent = message;
      this.status.classList.toggle("error", isError);
    }

    // The green key: dial, send what is typed, or end a recording.
    async green() {
      const phone = this.number.value;
      try {
        if (this.mode === "sms") {
          if (!this.entry.value.trim()) return;
          const text = this.entry.value;
          this.entry.value = "";
          const provider = document.getElementById("sms-via").value;
          const answer = await request("sms", { phone, provider, text });
          answer.replies.forEach((reply) => this.direct.push({ sent: text, text: reply }));
          await this.poll();
        } else if (this.mode === "ussd") {
          const typed = this.entry.value;
          this.entry.value = "";
          const live = this.ussd && !this.ussd.ended;
          const answer = await request("ussd", live ? { phone, state: this.ussd, input: typed } : { phone, state: null });
          this.ussd = { ...answer.state, ended: answer.ended };
          this.say(answer.ended ? t("simulator.ussd_closed") : "");
        } else if (this.call && !this.call.ended) {
          if (this.call.listen === "recording") await this.act({ action: "record" });
          else if (this.entry.value) await this.act({ action: "press", keys: this.entry.value });
        } else {
          const provider = document.getElementById("voice-via").value;
          this.heard(await request("call", { phone, action: "dial", provider }));
        }
      } catch (error) {
        this.say(error.message, true);
      }
      this.draw();
    }

    // The red key: close the USSD session or hang up.
    async red() {
      if (this.mode === "voice" && this.call && !this.call.ended) {
        await this.act({ action: "hangup" });
      }
      if (this.mode === "ussd" && this.ussd) {
        this.ussd = null;
        this.say(t("simulator.ussd_closed"));
      }
      this.entry.value = "";
      this.draw();
    }

    // Ring the missed-call number and hang up before anyone answers.
    async missedCall() {
      try {
        const provider = document.getElementById("voice-via").value;
        const answer = await request("missed", { phone: this.number.value, provider });
        if (!answer.calls_back) this.say(t("simulator.missed_off"));
        else this.say(answer.rejected ? t("simulator.missed_rejected") : "");
      } catch (error) {
        this.say(error.message, true);
      }
    }

    // Telepasar calls back: pick up (the call runs in voice mode), or let it ring out.
    async pickUp() {
      this.el.querySelector(".incoming").hidden = true;
      this.setMode("voice");
      try {
        this.heard(await request("call", { phone: this.number.value, action: "pick_up" }));
      } catch (error) {
        this.say(error.message, true);
      }
      this.draw();
    }

    async letRing() {
      this.el.querySelector(".incoming").hidden = true;
      try {
        await request("missed", { phone: this.number.value, action: "let_ring" });
        this.say(t("simulator.call_back_missed"));
      } catch (error) {
        this.say(error.message, true);
      }
      await this.poll();
    }

    key(key) {
      if (this.mode !== "voice" || !this.call || this.call.ended) {
        this.entry.value += key;
        this.entry.focus();
        return;
      }
      if (this.call.listen === "number") {
        if (key === "#") this.act({ action: "press", keys: this.entry.value + "#" });
        else this.entry.value += key;
        return;
      }
      this.act({ action: "press", keys: key });
    }

    async act(what) {
      if (!this.call || this.call.ended) return;
      this.entry.value = "";
      try {
        this.heard(await request("call", { phone: this.number.value, state: this.call, ...what }));
      } catch (error) {
        this.say(error.message, true);
      }
      this.draw();
    }

    heard(answer) {
      this.call = { ...answer.state, ended: answer.ended };
      this.prompts = answer.prompts;
      const endings = [];
      if (answer.rejected) endings.push(t("simulator.rejected"));
      if (answer.transfer_to) endings.push(t("simulator.transfer", { number: answer.transfer_to }));
      if (answer.ended) endings.push(t("simulator.call_ended"));
      this.say(endings.join(" ") || t(`simulator.listen.${answer.listen}`));
      this.play(answer.prompts);
    }

    async play(prompts) {
      const mine = ++this.playing;
      if (window.speechSynthesis) speechSynthesis.cancel();
      if (!soundOn()) return;
      const cancelled = () => mine !== this.playing || !soundOn();
      for (const prompt of prompts) {
        if (prompt.audio.length) {
          for (const url of prompt.audio) await playFile(url, cancelled);
        } else {
          await speak(prompt.text, prompt.lang, cancelled);
        }
      }
    }

    async poll() {
      const phone = this.number.value.trim();
      if (!phone) return;
      try {
        const answer = await request(`messages?phone=${encodeURIComponent(phone)}`);
        this.messages = answer.messages;
        const inCall = this.call && !this.call.ended;
        this.el.querySelector(".incoming").hidden = !answer.ringing || inCall;
      } catch (error) {
        return; // a bad number is said when it is used; the next poll tries again
      }
      if (this.mode === "sms") this.seen = this.received();
      this.draw();
    }

    received() {
      return this.messages.filter((m) => m.way === "out").length + this.direct.length;
    }

    // The thread: the outbox's messages, and each direct reply after the SMS it answered.
    thread() {
      const waiting = [...this.direct];
      const thread = [];
      this.messages.forEach((message) => {
        thread.push(message);
        if (message.way !== "in") return;
        while (waiting.length && waiting[0].sent === message.text) {
          thread.push({ way: "out", text: waiting.shift().text, state_text: t("simulator.direct") });
        }
      });
      return thread.concat(waiting.map((reply) => ({ way: "out", text: reply.text, state_text: t("simulator.direct") })));
    }

    draw() {
      const screen = this.screen;
      screen.replaceChildren();
      if (this.mode === "ussd") {
        const pre = document.createElement("pre");
        pre.textContent = this.ussd ? this.ussd.screen : t("simulator.ussd_hint", { code: root.dataset.serviceCode });
        screen.appendChild(pre);
      } else if (this.mode === "voice") {
        const list = document.createElement("ol");
        list.className = "prompts";
        (this.call ? this.prompts : [{ text: t("simulator.voice_hint"), audio: [] }]).forEach((prompt) => {
          const li = document.createElement("li");
          li.textContent = prompt.text;
          list.appendChild(li);
        });
        screen.appendChild(list);
      } else {
        const list = document.createElement("ol");
        list.className = "thread";
        const thread = this.thread();
        if (!thread.length) list.appendChild(Object.assign(document.createElement("li"), { textContent: t("simulator.sms_hint") }));
        thread.forEach((message) => {
          const li = document.createElement("li");
          // "in" is what this phone sent; "out" what Telepasar sent to it.
          li.className = message.way === "in" ? "sent" : "received";
          li.textContent = message.text;
          if (message.state_text) li.appendChild(Object.assign(document.createElement("small"), { textContent: message.state_text }));
          list.appendChild(li);
        });
        screen.appendChild(list);
        screen.scrollTop = screen.scrollHeight;
      }
      const unseen = this.received() - this.seen;
      const badge = this.el.querySelector(".modes button[data-mode=sms]");
      // The count alone fits the tab; the whole phrase is its title, for a pointer and a reader.
      const news = this.mode !== "sms" && unseen > 0;
      badge.dataset.unseen = news ? String(unseen) : "";
      badge.title = news ? t("simulator.new_sms", { count: unseen }) : "";
      badge.setAttribute("aria-label", news ? `${t("simulator.sms")}: ${badge.title}` : t("simulator.sms"));
      badge.textContent = t("simulator.sms") + (news ? ` (${unseen})` : "");
      this.el.querySelector(".silence").hidden = this.mode !== "voice";
      this.el.querySelector(".missed").hidden = this.mode !== "voice";
    }
  }

  // A typed number in the phone book, in any format (0812..., +62812..., with dashes).
  const book = JSON.parse(root.dataset.book);
  function whoIs(number) {
    const digits = number.replace(/\D/g, "").replace(/^(62|0)/, "");
    const found = digits.length >= 8 &&
      book.find((person) => person.phone.replace(/\D/g, "").replace(/^(62|0)/, "") === digits);
    return found || { role: "customer", name: "", detail: "", phone: number };
  }

  JSON.parse(root.dataset.phones).forEach((person) => new Phone(person));
  document.getElementById("add-phone").addEventListener("click", () =>
    new Phone({ role: "customer", name: "", detail: "", phone: "" }));
})();
