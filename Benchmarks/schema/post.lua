-- wrk script for Benchmarks/schema.sh: POSTs one JSON file as application/json on every request.
-- Usage: wrk ... -s post.lua URL -- BODY_FILE
-- Non-2xx answers are counted by wrk ("Non-2xx or 3xx responses"), so a body the route rejects shows up as errors.
function init(args)
    local f = assert(io.open(args[1], "rb"))
    local body = f:read("*a")
    f:close()
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end
