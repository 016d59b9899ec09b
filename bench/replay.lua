-- Replays one fixed HTTP request, read from a spec file, and reports exact numbers as JSON.
--
--   wrk -t2 -c16 -d10s --latency -s bench/replay.lua http://127.0.0.1:PORT -- SPEC_FILE
--
-- The spec file (written by bench/run.py just before the run) is:
--   line 1: method, line 2: path, then "Name: value" header lines, an empty line, and the
--   body: the rest of the file, byte for byte. Content-Length is left to wrk.
-- done() prints one line "BENCH_JSON {...}" with requests, duration, latency percentiles
-- (microseconds, from wrk's own histogram), socket errors, and a count per status code,
-- gathered by response() in every thread.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local function load_spec(path)
   local file = assert(io.open(path, "rb"))
   local text = file:read("*a")
   file:close()
   local head, body = text:match("^(.-)\r?\n\r?\n(.*)$")
   if head == nil then head, body = text, "" end
   local lines = {}
   for line in (head .. "\n"):gmatch("(.-)\r?\n") do table.insert(lines, line) end
   local headers = {}
   for i = 3, #lines do
      local name, value = lines[i]:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
   end
   return lines[1], lines[2], headers, body
end

function init(args)
   statuses = {}
   local method, path, headers, body = load_spec(args[1])
   wrk.method = method
   wrk.path = path
   for name, value in pairs(headers) do wrk.headers[name] = value end
   if body ~= "" then wrk.body = body end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses") or {}) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local status_json = {}
   for status, n in pairs(counts) do
      table.insert(status_json, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"latency_us": {"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p999": %d, ' ..
      '"min": %d, "max": %d, "mean": %.1f, "stdev": %.1f}, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.min, latency.max,
      latency.mean, latency.stdev,
      e.connect, e.read, e.write, e.timeout, e.status, table.concat(status_json, ", ")))
end
