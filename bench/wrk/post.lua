-- One fixed, SendMessage-sized JSON POST, as small as the gateway's per-request work allows
-- a server benchmark to be (bench/asgi_servers.py).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.body = '{"QueueUrl":"http://127.0.0.1:4566/000000000000/bench","MessageBody":"'
  .. string.rep("x", 64) .. '"}'

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"timeouts":%d,"deletes":0,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
