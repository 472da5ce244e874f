// zeromq.js (the npm package "zeromq", which carries its own libzmq) as a
// peer of the interop tests. It speaks the line formats of ../sub.py and
// ../pub.py, so that the Go tests read both alike:
//
//   node peer.mjs sub [--curve-server PUBLIC] ENDPOINT [PREFIX...]
//   node peer.mjs pub [--curve-secret SECRET] [--interval MS] ENDPOINT SCRIPT
//   node peer.mjs req [--curve-server PUBLIC] ENDPOINT FRAME...
//   node peer.mjs version
//
// sub prints {"frames": [hex...], "text": [frames 0-3], "meta": frame 4}
// for each message; pub binds, prints {"endpoint": ...} and sends SCRIPT's
// messages in a loop (as pub.py does); req prints {"reply": [frames]} and
// exits; version prints {"zeromq": libzmq's version, "curve": bool}. Each
// mode but req exits when stdin is closed.
import { readFileSync } from "node:fs";
import * as zmq from "zeromq";

const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

function options(args) {
  const opts = { curveServerKey: "", curveSecret: "", interval: 5, rest: [] };
  for (let i = 0; i < args.length; i++) {
    switch (args[i]) {
      case "--curve-server": opts.curveServerKey = args[++i]; break;
      case "--curve-secret": opts.curveSecret = args[++i]; break;
      case "--interval": opts.interval = Number(args[++i]); break;
      default: opts.rest.push(args[i]);
    }
  }
  return opts;
}

// clientKeys makes a socket a CURVE client of the server of key, with a
// key pair of its own made by libzmq.
function clientKeys(sock, key) {
  if (!key) return;
  const { publicKey, secretKey } = zmq.curveKeyPair();
  sock.curveServerKey = key;
  sock.curvePublicKey = publicKey;
  sock.curveSecretKey = secretKey;
}

function describe(frames) {
  const d = { frames: frames.map((f) => Buffer.from(f).toString("hex")) };
  try {
    const dec = new TextDecoder("utf-8", { fatal: true });
    d.text = frames.slice(0, 4).map((f) => dec.decode(f));
    if (frames.length >= 5) d.meta = JSON.parse(dec.decode(frames[4]));
  } catch (e) {
    d.error = String(e);
  }
  return d;
}

const FIELDS = ["path", "track", "disc", "year", "genre", "album_artist"];

function encode(track, seq) {
  const meta = { v: 1, seq, sent: new Date().toISOString() };
  for (const k of FIELDS) meta[k] = track[k];
  Object.assign(meta, track.extra ?? {});
  const frames = ["topic", "artist", "album", "title"].map((k) => Buffer.from(track[k], "utf-8"));
  frames.push(Buffer.from(JSON.stringify(meta), "utf-8"));
  for (const f of track.extra_frames ?? []) frames.push(Buffer.from(f, "hex"));
  return frames;
}

// untilStdinEnds makes the process exit once stdin is closed.
function untilStdinEnds() {
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
}

const [mode, ...args] = process.argv.slice(2);
const opts = options(args);
switch (mode) {
  case "version":
    out({ zeromq: zmq.version, curve: zmq.capability.curve === true });
    break;
  case "sub": {
    untilStdinEnds();
    const [endpoint, ...prefixes] = opts.rest;
    const sock = new zmq.Subscriber({ linger: 0 });
    clientKeys(sock, opts.curveServerKey);
    sock.connect(endpoint);
    for (const p of prefixes) sock.subscribe(p);
    for await (const frames of sock) out(describe(frames));
    break;
  }
  case "pub": {
    untilStdinEnds();
    const [endpoint, script] = opts.rest;
    const entries = JSON.parse(readFileSync(script, "utf-8"));
    const sock = new zmq.Publisher({ linger: 0 });
    if (opts.curveSecret) {
      sock.curveServer = true;
      sock.curveSecretKey = opts.curveSecret;
    }
    await sock.bind(endpoint);
    out({ endpoint: sock.lastEndpoint });
    for (let seq = 1; ; ) {
      for (const e of entries) {
        const frames = e.track ? encode(e.track, seq++) : e.frames.map((f) => Buffer.from(f, "hex"));
        await sock.send(frames);
        await new Promise((r) => setTimeout(r, opts.interval));
      }
    }
  }
  case "req": {
    const [endpoint, ...frames] = opts.rest;
    const sock = new zmq.Request({ linger: 0, receiveTimeout: 10000 });
    clientKeys(sock, opts.curveServerKey);
    sock.connect(endpoint);
    await sock.send(frames);
    const reply = await sock.receive();
    out({ reply: reply.map((f) => Buffer.from(f).toString("utf-8")) });
    sock.close();
    break;
  }
  default:
    process.stderr.write(`peer.mjs: unknown mode ${mode}: want sub, pub, req or version\n`);
    process.exit(2);
}
