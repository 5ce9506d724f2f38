-- One request shape per wrk run, from the environment (so secrets never appear on a command line):
--   BENCH_METHOD         GET or POST (default GET)
--   BENCH_BODY           a form-encoded body for POST
--   BENCH_AUTHORIZATION  the full Authorization header value (Basic … or Bearer …)
--   BENCH_TOKENS_FILE    a file of access tokens, one a line: each request sends the next as its
--                        Bearer token, round and round (scenario (g): no token is sent twice in a row)
-- Counts non-2xx responses exactly (wrk's own count starts at 400) and keeps the last 2xx body
-- of each thread, so the caller can check that a token issued under load stays valid.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

local tokens_file = os.getenv("BENCH_TOKENS_FILE")
if tokens_file and tokens_file ~= "" then
  local bearers = {}
  for line in io.lines(tokens_file) do
    if line ~= "" then
      table.insert(bearers, "Bearer " .. line)
    end
  end
  local sent = 0
  -- Only defined here: without it wrk sends one request prepared once, which costs it less.
  function request()
    sent = sent % #bearers + 1
    wrk.headers["Authorization"] = bearers[sent]
    return wrk.format()
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  last_body = ""
  first_failure = ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.sub(body or "", 1, 300)
    end
  else
    last_body = body
  end
end

local function one_line(text)
  return (string.gsub(text or "", "[\r\n]", " "))
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d "
      .. "connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    non2xx_total, errors.connect, errors.read, errors.write, errors.timeout))
  for _, thread in ipairs(threads) do
    local failure = thread:get("first_failure")
    if failure and failure ~= "" then
      io.write("BENCH_FAILURE " .. one_line(failure) .. "\n")
    end
    local last = thread:get("last_body")
    if last and last ~= "" then
      io.write("BENCH_BODY " .. one_line(last) .. "\n")
    end
  end
end
