# One flooding client: fresh TLS connections for ARGV[1] seconds, each a `Connection: close` GET, then TCP dropped
# without a close_notify. Prints how many connections it made.
import socket, ssl, sys, time, os
dur=float(sys.argv[1]); ctx=ssl.create_default_context(); ctx.check_hostname=False; ctx.verify_mode=ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
t0=time.time(); n=0
while time.time()-t0<dur:
    try:
        s=socket.create_connection(("127.0.0.1",29443)); t=ctx.wrap_socket(s, server_hostname="localhost")
        t.sendall(b"GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); t.recv(4096)
        s.close(); n+=1   # drop TCP without close_notify
    except Exception as e: pass
print(n)
