-- A tiny Lua service for the corpus: answers "hello" to whoever asks.
core.register_service("hello", "http", function(applet)
    local body = "hello from lua\n"
    applet:set_status(200)
    applet:add_header("content-type", "text/plain")
    applet:add_header("content-length", string.len(body))
    applet:start_response()
    applet:send(body)
end)
