-- wrk script: replays prepared requests (one a line: path TAB signature TAB form body).
-- Thread k takes lines k, k+T, k+2T, ...: the generator interleaves sessions so that two
-- requests of one session are never in flight at once. Prints one JSON line when done.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  lines = {}
  for line in io.lines(args[1]) do
    local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    lines[#lines + 1] = { path, signature, body }
  end
  step = tonumber(args[2])
  index = id + 1
end

local function format(r)
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if r[2] ~= "" then headers["X-Twilio-Signature"] = r[2] end
  return wrk.format("POST", r[1], headers, r[3])
end

-- wrk 4.1 calls request() once on thread 0 to check the script, and never sends what that
-- call returns: that call must not use up a line, or session 0 would lose its first hop
-- and every later hop of it would be one step off.
local checked = false

function request()
  local r = lines[index]
  if id == 0 and not checked then
    checked = true
    return format(r)
  end
  index = index + step
  if index > #lines then index = id + 1 end
  return format(r)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "bad": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
