// JeroMQ, the pure-Java ZeroMQ, as a peer of the interop tests. Debian's
// libjeromq-java is JeroMQ 0.3.6, which speaks ZMTP 2.0 and nothing newer:
// trackfeed cannot talk to it, and must say so once, not fail silently.
//
//   java -cp jeromq.jar Jeromq.java sub ENDPOINT
//   java -cp jeromq.jar Jeromq.java pub tcp://HOST
//
// sub connects, subscribes to everything and prints {"connected": true},
// then {"frames": N} for each message; pub binds a port the system picks,
// prints {"endpoint": ENDPOINT} and sends a track-like message every 10 ms. Each runs until it
// is killed.
import org.zeromq.ZMQ;

public class Jeromq {
    public static void main(String[] args) throws Exception {
        ZMQ.Context ctx = ZMQ.context(1);
        if (args[0].equals("sub")) {
            ZMQ.Socket s = ctx.socket(ZMQ.SUB);
            s.connect(args[1]);
            s.subscribe(new byte[0]);
            System.out.println("{\"connected\": true}");
            for (int n = 1; ; ) {
                s.recv(0);
                for (; s.hasReceiveMore(); n++) {
                    s.recv(0);
                }
                System.out.println("{\"frames\": " + n + "}");
                n = 1;
            }
        }
        ZMQ.Socket s = ctx.socket(ZMQ.PUB);
        int port = s.bindToRandomPort(args[1]);
        System.out.println("{\"endpoint\": \"" + args[1] + ":" + port + "\"}");
        for (;;) {
            s.sendMore("the_streets");
            s.sendMore("The Streets");
            s.sendMore("Original Pirate Material");
            s.sendMore("Has It Come to This?");
            s.send("{\"v\":1,\"seq\":1}");
            Thread.sleep(10);
        }
    }
}
