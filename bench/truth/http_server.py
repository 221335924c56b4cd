"""http.server serving 2,000 requests over loopback (127.0.0.1, a port the system picks), from a client thread
using http.client with keep-alive; the server shuts down when they are answered."""
import http.client
import http.server
import threading

REQUESTS = 2000


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("path %s\n" % self.path).encode() * 8
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def client(port, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    total = 0
    for i in range(REQUESTS):
        conn.request("GET", "/item/%d?x=%d" % (i % 50, i))
        total += len(conn.getresponse().read())
    conn.close()
    out.append(total)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    out = []
    c = threading.Thread(target=client, args=(server.server_address[1], out))
    c.start()
    c.join()
    server.shutdown()
    serving.join()
    server.server_close()
    print("served", REQUESTS, "requests,", out[0], "bytes")


main()
