-- wrk script for bench_pages.py: stop each thread after WRK_MAX_REQUESTS responses (0: no limit), so a run is
-- bounded in requests as well as in time (-d); count answers other than 200 (wrk itself counts only >= 400,
-- and a 303 to /login would mean the session was lost); print the summary as one JSON line.
local max_requests = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0")
local threads = {}
seen = 0
not_ok = 0

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  seen = seen + 1
  if status ~= 200 then
    not_ok = not_ok + 1
  end
  if max_requests > 0 and seen >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local not_200 = 0
  for _, thread in ipairs(threads) do
    not_200 = not_200 + thread:get("not_ok")
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "not_200": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, not_200, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
