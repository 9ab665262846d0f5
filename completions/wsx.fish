# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wsx_global_optspecs
    string join \n h/help V/version
end

function __fish_wsx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wsx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wsx_using_subcommand
    set -l cmd (__fish_wsx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wsx -n "__fish_wsx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wsx -n "__fish_wsx_needs_command" -s V -l version -d 'Print version'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "connect" -d 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "c" -d 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "serve" -d 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "s" -d 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "proxy" -d 'Sit between a client and a server: show, inject, disturb and record what they say'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "bench" -d 'Load-test an echo endpoint: throughput and round-trip latency'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "test" -d 'Run conversations written as files (send, expect, capture) and report each step'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "man" -d 'Print a man page (roff)'
complete -c wsx -n "__fish_wsx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s H -l header -d 'Extra request header (repeatable)' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s s -l subprotocol -d 'Offer this subprotocol (repeatable, in order of preference)' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s o -l origin -d 'Origin header to send' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l auth -d 'Basic authentication (credentials in the URL work too)' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l connect-timeout -d 'Give up when the opening handshake takes longer than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l cacert -l ca -d 'Trust the CA certificates in this PEM file instead of the system\'s' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l proxy -d 'Connect through this proxy: http://[user:pass@]host:port or socks5://…' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l unix-socket -d 'Dial this Unix socket instead of the URL\'s host (the URL still gives Host and path)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l cert -d 'Client certificate (PEM), with --key' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l key -d 'Private key (PEM) of the client certificate' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l linger -d 'At stdin EOF, close once the server has been quiet this long (0 closes at once)' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l record -d 'Write the session as a `wsx test` file (credentials as {{variables}})' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s x -l execute -d 'Send this message first (repeatable; @FILE sends a file\'s content, @@ a leading @); with -x and stdin a terminal, stdin is not read' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s n -l count -d 'Exit normally after receiving N messages' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s w -l wait -d 'After input ends, keep receiving this long before closing' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l ping-interval -d 'Send a ping every SECS and report missing pongs' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l binary-output -d 'How received binary messages are written in pipe mode' -r -f -a "raw\t''
hex\t''
base64\t''"
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l max-message-size -d 'Close with 1009 when an incoming message is larger than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l max-frame-size -d 'Close with 1009 when an incoming frame is larger than this (a message may span several)' -r
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s k -l insecure -d 'Accept any TLS certificate (wss://)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l no-proxy -d 'Ignore the *_PROXY environment variables'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s L -l location -d 'Follow HTTP redirects during the handshake (at most 5)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l echo -d 'Send every received message straight back'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l reconnect -d 'After an unexpected drop, reconnect with backoff and re-send the -x messages'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s b -l binary -d 'Send input lines (and -x messages) as binary messages'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l raw -d 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s P -l show-ping-pong -d 'Print ping and pong frames'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s t -l timestamps -d 'Prefix printed events with the time (UTC)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l jsonl -d 'Write one JSON object per event on stdout'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s q -l quiet -d 'No diagnostics on stderr (fatal errors are still printed)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l no-color -d 'Plain output without colors (also NO_COLOR)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s v -l verbose -d 'Print the opening handshake on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -l pretty -d 'Indent JSON messages in the REPL (pipe output stays as received)'
complete -c wsx -n "__fish_wsx_using_subcommand connect" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s H -l header -d 'Extra request header (repeatable)' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -s s -l subprotocol -d 'Offer this subprotocol (repeatable, in order of preference)' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -s o -l origin -d 'Origin header to send' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l auth -d 'Basic authentication (credentials in the URL work too)' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l connect-timeout -d 'Give up when the opening handshake takes longer than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l cacert -l ca -d 'Trust the CA certificates in this PEM file instead of the system\'s' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l proxy -d 'Connect through this proxy: http://[user:pass@]host:port or socks5://…' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l unix-socket -d 'Dial this Unix socket instead of the URL\'s host (the URL still gives Host and path)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand c" -l cert -d 'Client certificate (PEM), with --key' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l key -d 'Private key (PEM) of the client certificate' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l linger -d 'At stdin EOF, close once the server has been quiet this long (0 closes at once)' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l record -d 'Write the session as a `wsx test` file (credentials as {{variables}})' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand c" -s x -l execute -d 'Send this message first (repeatable; @FILE sends a file\'s content, @@ a leading @); with -x and stdin a terminal, stdin is not read' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -s n -l count -d 'Exit normally after receiving N messages' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -s w -l wait -d 'After input ends, keep receiving this long before closing' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l ping-interval -d 'Send a ping every SECS and report missing pongs' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l binary-output -d 'How received binary messages are written in pipe mode' -r -f -a "raw\t''
hex\t''
base64\t''"
complete -c wsx -n "__fish_wsx_using_subcommand c" -l max-message-size -d 'Close with 1009 when an incoming message is larger than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -l max-frame-size -d 'Close with 1009 when an incoming frame is larger than this (a message may span several)' -r
complete -c wsx -n "__fish_wsx_using_subcommand c" -s k -l insecure -d 'Accept any TLS certificate (wss://)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l no-proxy -d 'Ignore the *_PROXY environment variables'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s L -l location -d 'Follow HTTP redirects during the handshake (at most 5)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l echo -d 'Send every received message straight back'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l reconnect -d 'After an unexpected drop, reconnect with backoff and re-send the -x messages'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s b -l binary -d 'Send input lines (and -x messages) as binary messages'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l raw -d 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s P -l show-ping-pong -d 'Print ping and pong frames'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s t -l timestamps -d 'Prefix printed events with the time (UTC)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l jsonl -d 'Write one JSON object per event on stdout'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s q -l quiet -d 'No diagnostics on stderr (fatal errors are still printed)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l no-color -d 'Plain output without colors (also NO_COLOR)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s v -l verbose -d 'Print the opening handshake on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand c" -l pretty -d 'Indent JSON messages in the REPL (pipe output stays as received)'
complete -c wsx -n "__fish_wsx_using_subcommand c" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l socket-mode -d 'Permissions of the unix:PATH socket, in octal' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l script -d 'Run this wsx test file from the server\'s side for every client (a mock server)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s s -l subprotocol -d 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l max-connections -d 'Refuse clients beyond this many with HTTP 503' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l origin -d 'Allowed Origin (repeatable; \'*\' for any); requests from other origins get 403. With --exec and no --origin, only loopback origins and the server\'s own may connect' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l handshake-timeout -d 'Seconds a client may take to complete the opening handshake' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l queue-limit -d 'Per-client outgoing queue bound: messages, then bytes' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l threads -d 'Threads that run the connections [default: one per core less one, left to the client under test; at least 1]' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l cert -d 'Certificate chain (PEM): serve wss:// (with --key)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l key -d 'Private key (PEM) for --cert' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l client-ca -d 'Require client certificates signed by a CA in this PEM file' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l publish-token -d 'Let anyone who sends Authorization: Bearer TOKEN publish (without it, loopback only)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l redis -d 'Share channels with every wsx serve that names this Redis (redis://, rediss://, redis+unix://)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s n -l count -d 'Exit normally after receiving N messages' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s w -l wait -d 'After input ends, keep receiving this long before closing' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l ping-interval -d 'Send a ping every SECS and report missing pongs' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l binary-output -d 'How received binary messages are written in pipe mode' -r -f -a "raw\t''
hex\t''
base64\t''"
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l max-message-size -d 'Close with 1009 when an incoming message is larger than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l max-frame-size -d 'Close with 1009 when an incoming frame is larger than this (a message may span several)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s x -l execute -d 'Greet every new client with this message (repeatable; @FILE sends a file\'s content)' -r
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l echo -d 'Send every message back to its sender'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l broadcast -d 'Relay every message to every other client'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l exec -d 'Run PROGRAM (given after --) for each client: messages in as lines on its stdin, lines of its stdout out as messages'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l no-page -d 'Answer a plain GET / with 426 instead of the built-in test page'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l no-publish -d 'Refuse HTTP publish (POST PATH) with 405'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s b -l binary -d 'Send input lines (and -x messages) as binary messages'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l raw -d 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s P -l show-ping-pong -d 'Print ping and pong frames'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s t -l timestamps -d 'Prefix printed events with the time (UTC)'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l jsonl -d 'Write one JSON object per event on stdout'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s q -l quiet -d 'No diagnostics on stderr (fatal errors are still printed)'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l no-color -d 'Plain output without colors (also NO_COLOR)'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s v -l verbose -d 'Print the opening handshake on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -l pretty -d 'Indent JSON messages in the REPL (pipe output stays as received)'
complete -c wsx -n "__fish_wsx_using_subcommand serve" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l socket-mode -d 'Permissions of the unix:PATH socket, in octal' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l script -d 'Run this wsx test file from the server\'s side for every client (a mock server)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand s" -s s -l subprotocol -d 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l max-connections -d 'Refuse clients beyond this many with HTTP 503' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l origin -d 'Allowed Origin (repeatable; \'*\' for any); requests from other origins get 403. With --exec and no --origin, only loopback origins and the server\'s own may connect' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l handshake-timeout -d 'Seconds a client may take to complete the opening handshake' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l queue-limit -d 'Per-client outgoing queue bound: messages, then bytes' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l threads -d 'Threads that run the connections [default: one per core less one, left to the client under test; at least 1]' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l cert -d 'Certificate chain (PEM): serve wss:// (with --key)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l key -d 'Private key (PEM) for --cert' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l client-ca -d 'Require client certificates signed by a CA in this PEM file' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l publish-token -d 'Let anyone who sends Authorization: Bearer TOKEN publish (without it, loopback only)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l redis -d 'Share channels with every wsx serve that names this Redis (redis://, rediss://, redis+unix://)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -s n -l count -d 'Exit normally after receiving N messages' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -s w -l wait -d 'After input ends, keep receiving this long before closing' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l ping-interval -d 'Send a ping every SECS and report missing pongs' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l binary-output -d 'How received binary messages are written in pipe mode' -r -f -a "raw\t''
hex\t''
base64\t''"
complete -c wsx -n "__fish_wsx_using_subcommand s" -l max-message-size -d 'Close with 1009 when an incoming message is larger than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l max-frame-size -d 'Close with 1009 when an incoming frame is larger than this (a message may span several)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -s x -l execute -d 'Greet every new client with this message (repeatable; @FILE sends a file\'s content)' -r
complete -c wsx -n "__fish_wsx_using_subcommand s" -l echo -d 'Send every message back to its sender'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l broadcast -d 'Relay every message to every other client'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l exec -d 'Run PROGRAM (given after --) for each client: messages in as lines on its stdin, lines of its stdout out as messages'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l no-page -d 'Answer a plain GET / with 426 instead of the built-in test page'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l no-publish -d 'Refuse HTTP publish (POST PATH) with 405'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s b -l binary -d 'Send input lines (and -x messages) as binary messages'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l raw -d 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s P -l show-ping-pong -d 'Print ping and pong frames'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s t -l timestamps -d 'Prefix printed events with the time (UTC)'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l jsonl -d 'Write one JSON object per event on stdout'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s q -l quiet -d 'No diagnostics on stderr (fatal errors are still printed)'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l no-color -d 'Plain output without colors (also NO_COLOR)'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s v -l verbose -d 'Print the opening handshake on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand s" -l pretty -d 'Indent JSON messages in the REPL (pipe output stays as received)'
complete -c wsx -n "__fish_wsx_using_subcommand s" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s H -l header -d 'Extra request header (repeatable)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s s -l subprotocol -d 'Offer this subprotocol (repeatable, in order of preference)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s o -l origin -d 'Origin header to send' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l auth -d 'Basic authentication (credentials in the URL work too)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l connect-timeout -d 'Give up when the opening handshake takes longer than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l cacert -l ca -d 'Trust the CA certificates in this PEM file instead of the system\'s' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l proxy -d 'Connect through this proxy: http://[user:pass@]host:port or socks5://…' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l unix-socket -d 'Dial this Unix socket instead of the URL\'s host (the URL still gives Host and path)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l delay -d 'Hold every message this long before passing it on (both ways, order kept)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l drop -d 'Do not pass on messages that match this regex (repeatable; written ~REGEX or REGEX)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l disconnect-after -d 'After N messages (both ways, the Nth passed on), cut the client\'s connection without a Close, as a network failure would' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l record -d 'Write one wsx test file per client, DIR/client-ID.wsx, replaying its side' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l cert -d 'Certificate chain (PEM): listen as wss:// (with --key)' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l key -d 'Private key (PEM) for --cert' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l allow-origin -d 'Allowed Origin (repeatable; \'*\' for any); without it, only loopback origins and the proxy\'s own' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l max-connections -d 'Refuse clients beyond this many with HTTP 503' -r
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s k -l insecure -d 'Accept any TLS certificate (wss://)'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l no-proxy -d 'Ignore the *_PROXY environment variables'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s L -l location -d 'Follow HTTP redirects during the handshake (at most 5)'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s P -l show-ping-pong -d 'Print ping and pong frames'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s t -l timestamps -d 'Prefix printed events with the time (UTC)'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l jsonl -d 'Write one JSON object per event on stdout'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s q -l quiet -d 'No diagnostics on stderr (fatal errors are still printed)'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -l no-color -d 'Plain output without colors (also NO_COLOR)'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s v -l verbose -d 'Print both legs\' handshakes on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand proxy" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s H -l header -d 'Extra request header (repeatable)' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s s -l subprotocol -d 'Offer this subprotocol (repeatable, in order of preference)' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s o -l origin -d 'Origin header to send' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l auth -d 'Basic authentication (credentials in the URL work too)' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l connect-timeout -d 'Give up when the opening handshake takes longer than this' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l cacert -l ca -d 'Trust the CA certificates in this PEM file instead of the system\'s' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l proxy -d 'Connect through this proxy: http://[user:pass@]host:port or socks5://…' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l unix-socket -d 'Dial this Unix socket instead of the URL\'s host (the URL still gives Host and path)' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l cert -d 'Client certificate (PEM), with --key' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l key -d 'Private key (PEM) of the client certificate' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s c -l connections -d 'Connections to open' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s n -l messages -d 'Messages to send in all, shared among the connections' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l size -d 'Payload size of each message' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s W -l window -d 'Messages in flight per connection' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l rate -d 'Send at most this many messages per second in all' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l warmup -d 'Messages per connection sent first and left out of the figures' -r
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s k -l insecure -d 'Accept any TLS certificate (wss://)'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l no-proxy -d 'Ignore the *_PROXY environment variables'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s L -l location -d 'Follow HTTP redirects during the handshake (at most 5)'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s b -l binary -d 'Send binary messages instead of text'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -l jsonl -d 'Print the summary as one JSON object'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s q -l quiet -d 'No progress bar or diagnostics on stderr'
complete -c wsx -n "__fish_wsx_using_subcommand bench" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand test" -l var -d 'Set a variable for {{NAME}} (repeatable)' -r
complete -c wsx -n "__fish_wsx_using_subcommand test" -l timeout -d 'How long expect and await wait (a file\'s timeout steps change it)' -r
complete -c wsx -n "__fish_wsx_using_subcommand test" -s j -l jobs -d 'Files to run at once (the report keeps their order)' -r
complete -c wsx -n "__fish_wsx_using_subcommand test" -l junit -d 'Also write a JUnit XML report to FILE' -r -F
complete -c wsx -n "__fish_wsx_using_subcommand test" -l jsonl -d 'One JSON object per step and per file on stdout (the report goes to stderr)'
complete -c wsx -n "__fish_wsx_using_subcommand test" -s v -l verbose -d 'Print every step and every message as it happens'
complete -c wsx -n "__fish_wsx_using_subcommand test" -s q -l quiet -d 'Print only failures and the summary'
complete -c wsx -n "__fish_wsx_using_subcommand test" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand completions" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand man" -s h -l help -d 'Print help'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "connect" -d 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "serve" -d 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "proxy" -d 'Sit between a client and a server: show, inject, disturb and record what they say'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "bench" -d 'Load-test an echo endpoint: throughput and round-trip latency'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "test" -d 'Run conversations written as files (send, expect, capture) and report each step'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "man" -d 'Print a man page (roff)'
complete -c wsx -n "__fish_wsx_using_subcommand help; and not __fish_seen_subcommand_from connect serve proxy bench test completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
