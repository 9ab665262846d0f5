
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wsx' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wsx'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wsx' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)')
            [CompletionResult]::new('c', 'c', [CompletionResultType]::ParameterValue, 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)')
            [CompletionResult]::new('s', 's', [CompletionResultType]::ParameterValue, 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Sit between a client and a server: show, inject, disturb and record what they say')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load-test an echo endpoint: throughput and round-trip latency')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run conversations written as files (send, expect, capture) and report each step')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wsx;connect' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Basic authentication (credentials in the URL work too)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up when the opening handshake takes longer than this')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Connect through this proxy: http://[user:pass@]host:port or socks5://…')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Dial this Unix socket instead of the URL''s host (the URL still gives Host and path)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM), with --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of the client certificate')
            [CompletionResult]::new('--linger', '--linger', [CompletionResultType]::ParameterName, 'At stdin EOF, close once the server has been quiet this long (0 closes at once)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write the session as a `wsx test` file (credentials as {{variables}})')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Send this message first (repeatable; @FILE sends a file''s content, @@ a leading @); with -x and stdin a terminal, stdin is not read')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Send this message first (repeatable; @FILE sends a file''s content, @@ a leading @); with -x and stdin a terminal, stdin is not read')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Send a ping every SECS and report missing pongs')
            [CompletionResult]::new('--binary-output', '--binary-output', [CompletionResultType]::ParameterName, 'How received binary messages are written in pipe mode')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming message is larger than this')
            [CompletionResult]::new('--max-frame-size', '--max-frame-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming frame is larger than this (a message may span several)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore the *_PROXY environment variables')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send every received message straight back')
            [CompletionResult]::new('--reconnect', '--reconnect', [CompletionResultType]::ParameterName, 'After an unexpected drop, reconnect with backoff and re-send the -x messages')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('--show-ping-pong', '--show-ping-pong', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Write one JSON object per event on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Plain output without colors (also NO_COLOR)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON messages in the REPL (pipe output stays as received)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;c' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Basic authentication (credentials in the URL work too)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up when the opening handshake takes longer than this')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Connect through this proxy: http://[user:pass@]host:port or socks5://…')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Dial this Unix socket instead of the URL''s host (the URL still gives Host and path)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM), with --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of the client certificate')
            [CompletionResult]::new('--linger', '--linger', [CompletionResultType]::ParameterName, 'At stdin EOF, close once the server has been quiet this long (0 closes at once)')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write the session as a `wsx test` file (credentials as {{variables}})')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Send this message first (repeatable; @FILE sends a file''s content, @@ a leading @); with -x and stdin a terminal, stdin is not read')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Send this message first (repeatable; @FILE sends a file''s content, @@ a leading @); with -x and stdin a terminal, stdin is not read')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Send a ping every SECS and report missing pongs')
            [CompletionResult]::new('--binary-output', '--binary-output', [CompletionResultType]::ParameterName, 'How received binary messages are written in pipe mode')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming message is larger than this')
            [CompletionResult]::new('--max-frame-size', '--max-frame-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming frame is larger than this (a message may span several)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore the *_PROXY environment variables')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send every received message straight back')
            [CompletionResult]::new('--reconnect', '--reconnect', [CompletionResultType]::ParameterName, 'After an unexpected drop, reconnect with backoff and re-send the -x messages')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('--show-ping-pong', '--show-ping-pong', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Write one JSON object per event on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Plain output without colors (also NO_COLOR)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON messages in the REPL (pipe output stays as received)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;serve' {
            [CompletionResult]::new('--socket-mode', '--socket-mode', [CompletionResultType]::ParameterName, 'Permissions of the unix:PATH socket, in octal')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Run this wsx test file from the server''s side for every client (a mock server)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Refuse clients beyond this many with HTTP 503')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Allowed Origin (repeatable; ''*'' for any); requests from other origins get 403. With --exec and no --origin, only loopback origins and the server''s own may connect')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Seconds a client may take to complete the opening handshake')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Per-client outgoing queue bound: messages, then bytes')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads that run the connections [default: one per core less one, left to the client under test; at least 1]')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM): serve wss:// (with --key)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --cert')
            [CompletionResult]::new('--client-ca', '--client-ca', [CompletionResultType]::ParameterName, 'Require client certificates signed by a CA in this PEM file')
            [CompletionResult]::new('--publish-token', '--publish-token', [CompletionResultType]::ParameterName, 'Let anyone who sends Authorization: Bearer TOKEN publish (without it, loopback only)')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Share channels with every wsx serve that names this Redis (redis://, rediss://, redis+unix://)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Send a ping every SECS and report missing pongs')
            [CompletionResult]::new('--binary-output', '--binary-output', [CompletionResultType]::ParameterName, 'How received binary messages are written in pipe mode')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming message is larger than this')
            [CompletionResult]::new('--max-frame-size', '--max-frame-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming frame is larger than this (a message may span several)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Greet every new client with this message (repeatable; @FILE sends a file''s content)')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Greet every new client with this message (repeatable; @FILE sends a file''s content)')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send every message back to its sender')
            [CompletionResult]::new('--broadcast', '--broadcast', [CompletionResultType]::ParameterName, 'Relay every message to every other client')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run PROGRAM (given after --) for each client: messages in as lines on its stdin, lines of its stdout out as messages')
            [CompletionResult]::new('--no-page', '--no-page', [CompletionResultType]::ParameterName, 'Answer a plain GET / with 426 instead of the built-in test page')
            [CompletionResult]::new('--no-publish', '--no-publish', [CompletionResultType]::ParameterName, 'Refuse HTTP publish (POST PATH) with 405')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('--show-ping-pong', '--show-ping-pong', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Write one JSON object per event on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Plain output without colors (also NO_COLOR)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON messages in the REPL (pipe output stays as received)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;s' {
            [CompletionResult]::new('--socket-mode', '--socket-mode', [CompletionResultType]::ParameterName, 'Permissions of the unix:PATH socket, in octal')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Run this wsx test file from the server''s side for every client (a mock server)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Accepted subprotocol (repeatable; the first one in this list that the client offers wins)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Refuse clients beyond this many with HTTP 503')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Allowed Origin (repeatable; ''*'' for any); requests from other origins get 403. With --exec and no --origin, only loopback origins and the server''s own may connect')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Seconds a client may take to complete the opening handshake')
            [CompletionResult]::new('--queue-limit', '--queue-limit', [CompletionResultType]::ParameterName, 'Per-client outgoing queue bound: messages, then bytes')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads that run the connections [default: one per core less one, left to the client under test; at least 1]')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM): serve wss:// (with --key)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --cert')
            [CompletionResult]::new('--client-ca', '--client-ca', [CompletionResultType]::ParameterName, 'Require client certificates signed by a CA in this PEM file')
            [CompletionResult]::new('--publish-token', '--publish-token', [CompletionResultType]::ParameterName, 'Let anyone who sends Authorization: Bearer TOKEN publish (without it, loopback only)')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Share channels with every wsx serve that names this Redis (redis://, rediss://, redis+unix://)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit normally after receiving N messages')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'After input ends, keep receiving this long before closing')
            [CompletionResult]::new('--ping-interval', '--ping-interval', [CompletionResultType]::ParameterName, 'Send a ping every SECS and report missing pongs')
            [CompletionResult]::new('--binary-output', '--binary-output', [CompletionResultType]::ParameterName, 'How received binary messages are written in pipe mode')
            [CompletionResult]::new('--max-message-size', '--max-message-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming message is larger than this')
            [CompletionResult]::new('--max-frame-size', '--max-frame-size', [CompletionResultType]::ParameterName, 'Close with 1009 when an incoming frame is larger than this (a message may span several)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Greet every new client with this message (repeatable; @FILE sends a file''s content)')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Greet every new client with this message (repeatable; @FILE sends a file''s content)')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send every message back to its sender')
            [CompletionResult]::new('--broadcast', '--broadcast', [CompletionResultType]::ParameterName, 'Relay every message to every other client')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run PROGRAM (given after --) for each client: messages in as lines on its stdin, lines of its stdout out as messages')
            [CompletionResult]::new('--no-page', '--no-page', [CompletionResultType]::ParameterName, 'Answer a plain GET / with 426 instead of the built-in test page')
            [CompletionResult]::new('--no-publish', '--no-publish', [CompletionResultType]::ParameterName, 'Refuse HTTP publish (POST PATH) with 405')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send input lines (and -x messages) as binary messages')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Bytes in and out: stdin is sent as binary messages (each read, at most 64 KiB), and received payloads are written as they came, nothing added')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('--show-ping-pong', '--show-ping-pong', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Write one JSON object per event on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Plain output without colors (also NO_COLOR)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the opening handshake on stderr')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Indent JSON messages in the REPL (pipe output stays as received)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;proxy' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Basic authentication (credentials in the URL work too)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up when the opening handshake takes longer than this')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Connect through this proxy: http://[user:pass@]host:port or socks5://…')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Dial this Unix socket instead of the URL''s host (the URL still gives Host and path)')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Hold every message this long before passing it on (both ways, order kept)')
            [CompletionResult]::new('--drop', '--drop', [CompletionResultType]::ParameterName, 'Do not pass on messages that match this regex (repeatable; written ~REGEX or REGEX)')
            [CompletionResult]::new('--disconnect-after', '--disconnect-after', [CompletionResultType]::ParameterName, 'After N messages (both ways, the Nth passed on), cut the client''s connection without a Close, as a network failure would')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Write one wsx test file per client, DIR/client-ID.wsx, replaying its side')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM): listen as wss:// (with --key)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --cert')
            [CompletionResult]::new('--allow-origin', '--allow-origin', [CompletionResultType]::ParameterName, 'Allowed Origin (repeatable; ''*'' for any); without it, only loopback origins and the proxy''s own')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Refuse clients beyond this many with HTTP 503')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore the *_PROXY environment variables')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('--show-ping-pong', '--show-ping-pong', [CompletionResultType]::ParameterName, 'Print ping and pong frames')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Prefix printed events with the time (UTC)')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Write one JSON object per event on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No diagnostics on stderr (fatal errors are still printed)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Plain output without colors (also NO_COLOR)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print both legs'' handshakes on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print both legs'' handshakes on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;bench' {
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header (repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('--subprotocol', '--subprotocol', [CompletionResultType]::ParameterName, 'Offer this subprotocol (repeatable, in order of preference)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--origin', '--origin', [CompletionResultType]::ParameterName, 'Origin header to send')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Basic authentication (credentials in the URL work too)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up when the opening handshake takes longer than this')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system''s')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Connect through this proxy: http://[user:pass@]host:port or socks5://…')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Dial this Unix socket instead of the URL''s host (the URL still gives Host and path)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM), with --key')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of the client certificate')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Connections to open')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Connections to open')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Messages to send in all, shared among the connections')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'Messages to send in all, shared among the connections')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Payload size of each message')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Messages in flight per connection')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'Messages in flight per connection')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Send at most this many messages per second in all')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Messages per connection sent first and left out of the figures')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (wss://)')
            [CompletionResult]::new('--no-proxy', '--no-proxy', [CompletionResultType]::ParameterName, 'Ignore the *_PROXY environment variables')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow HTTP redirects during the handshake (at most 5)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send binary messages instead of text')
            [CompletionResult]::new('--binary', '--binary', [CompletionResultType]::ParameterName, 'Send binary messages instead of text')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Print the summary as one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar or diagnostics on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar or diagnostics on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;test' {
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a variable for {{NAME}} (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long expect and await wait (a file''s timeout steps change it)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Files to run at once (the report keeps their order)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Files to run at once (the report keeps their order)')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to FILE')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'One JSON object per step and per file on stdout (the report goes to stderr)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every step and every message as it happens')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every step and every message as it happens')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only failures and the summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only failures and the summary')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'wsx;help' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect to a WebSocket server (REPL on a terminal, pipe otherwise)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish, a program per client, or a mock from a test file)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Sit between a client and a server: show, inject, disturb and record what they say')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load-test an echo endpoint: throughput and round-trip latency')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run conversations written as files (send, expect, capture) and report each step')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wsx;help;connect' {
            break
        }
        'wsx;help;serve' {
            break
        }
        'wsx;help;proxy' {
            break
        }
        'wsx;help;bench' {
            break
        }
        'wsx;help;test' {
            break
        }
        'wsx;help;completions' {
            break
        }
        'wsx;help;man' {
            break
        }
        'wsx;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
