// trackfeed's now-playing page: one EventSource on /events?prefix=P. The
// server filters by prefix; the stream starts with a "history" event (the
// current track and those before it, oldest first), then one "track"
// event a track. Every (re)connection starts with history, so the page
// rebuilds its list from it after a reconnect or a change of prefix. A
// "feed" event after the history, and again on every change, says whether
// the server is connected to a publisher: the badge shows that, not just
// the page's own connection to the server. A track that the publisher
// holds for its duration (pace "real") gets a progress bar, drawn on the
// server's clock (the page's data-now) rather than the browser's.
"use strict";

(function () {
  const body = document.body;
  const historySize = Number(body.dataset.history) || 20;
  const statusEl = document.getElementById("status");
  const nowEl = document.getElementById("now");
  const recentEl = document.getElementById("recent");
  const recentEmpty = document.getElementById("recent-empty");
  const form = document.getElementById("filter");
  const input = document.getElementById("prefix");

  const nowHeading = document.getElementById("now-heading");
  const coverEl = document.getElementById("cover");
  const coverImg = document.getElementById("cover-img");
  const labels = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    "feed-connecting": "Connecting to the feed…",
  };

  // How far the browser's clock is behind the server's, as the page was
  // served.
  const skew = (Number(body.dataset.now) || Date.now()) - Date.now();
  let progressTimer = 0;

  let source = null; // the current EventSource
  let prefix = input.value;
  let tracks = []; // newest first; tracks[0] is playing
  let retryTimer = 0;
  let typingTimer = 0;

  function setState(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text || labels[state];
    // While the feed is down the track shown is the last one, not the one
    // playing.
    nowHeading.textContent = state === "offline" ? "Last played" : "Now playing";
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // details is the line under the album, as the server renders it.
  function details(t) {
    const parts = [];
    if (t.year > 0) parts.push(String(t.year));
    if (t.genre) parts.push(t.genre);
    if (t.disc > 1) parts.push("disc " + t.disc);
    if (t.track > 0) parts.push("track " + t.track);
    if (t.duration_ms > 0) parts.push(minutes(t.duration_ms));
    return parts.join(" · ");
  }

  // minutes writes ms as m:ss (h:mm:ss from an hour), as the server does.
  function minutes(ms) {
    const s = Math.floor(ms / 1000);
    const ss = String(s % 60).padStart(2, "0");
    if (s >= 3600) return Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0") + ":" + ss;
    return Math.floor(s / 60) + ":" + ss;
  }

  // paced: the track is on the air for its duration, so how far it has
  // played means something.
  function paced(t) {
    return t.pace === "real" && t.duration_ms > 0;
  }

  // tick moves the progress bar of the track playing, if it has one.
  function tick() {
    const bar = nowEl.querySelector(".now-progress");
    if (!bar) {
      clearInterval(progressTimer);
      progressTimer = 0;
      return;
    }
    const played = Math.min(Math.max(Date.now() + skew - Number(bar.dataset.sent), 0), bar.max);
    bar.value = played;
    bar.setAttribute("aria-valuetext", minutes(played) + " of " + minutes(bar.max));
  }

  function startProgress() {
    tick();
    if (!progressTimer && nowEl.querySelector(".now-progress")) progressTimer = setInterval(tick, 500);
  }

  function timeOf(t) {
    const time = el("time");
    const d = new Date(t.sent);
    if (!isNaN(d) && d.getFullYear() > 1) {
      time.dateTime = d.toISOString();
      time.textContent = d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit", second: "2-digit" });
    }
    return time;
  }

  // The cover of the track shown, /cover/ID: the picture once it has
  // loaded (the one before stays until then, so a track of the same album
  // does not flicker), or the drawn record when the track has none or its
  // picture fails to load. data-want is the ID asked for, data-cover the
  // one shown.
  function renderCover(t) {
    const id = (t && t.cover) || "";
    if (id === coverEl.dataset.want) return;
    coverEl.dataset.want = id;
    if (!id) {
      showCover("", "", "");
      return;
    }
    const img = new Image();
    img.addEventListener("load", () => {
      if (coverEl.dataset.want === id) showCover(id, img.src, t.album);
    });
    img.addEventListener("error", () => {
      if (coverEl.dataset.want === id) showCover("", "", "");
    });
    img.src = "/cover/" + encodeURIComponent(id);
  }

  // The picture the server put in the page may fail to load, too (maybe
  // before this script ran).
  coverImg.addEventListener("error", () => {
    if (coverImg.getAttribute("src")) showCover("", "", "");
  });
  if (coverImg.getAttribute("src") && coverImg.complete && coverImg.naturalWidth === 0) {
    showCover("", "", "");
  }

  function showCover(id, src, album) {
    coverEl.dataset.cover = id;
    coverEl.dataset.state = id ? "shown" : "none";
    if (id) {
      coverImg.src = src;
      coverImg.alt = album ? "Cover of " + album : "Cover";
    } else {
      coverImg.removeAttribute("src");
      coverImg.alt = "";
    }
  }

  function renderNow(fresh) {
    const t = tracks[0];
    renderCover(t);
    if (!t) {
      nowEl.replaceChildren(el("p", "empty", prefix
        ? "Waiting for a track by an artist starting with “" + prefix + "”…"
        : "Waiting for the first track…"));
      return;
    }
    nowEl.replaceChildren(
      el("p", "now-title", t.title),
      el("p", "now-artist", t.artist),
      el("p", "now-album", t.album),
      el("p", "now-details", details(t)),
    );
    if (paced(t)) {
      const bar = el("progress", "now-progress");
      bar.max = t.duration_ms;
      bar.value = 0;
      bar.dataset.sent = String(new Date(t.sent).getTime());
      bar.setAttribute("aria-label", "Played");
      nowEl.append(bar);
    }
    startProgress();
    if (fresh) {
      nowEl.classList.remove("fresh");
      void nowEl.offsetWidth; // restart the animation
      nowEl.classList.add("fresh");
    }
  }

  function renderRecent() {
    const items = tracks.slice(1).map((t) => {
      const li = el("li");
      li.append(
        el("span", "r-title", t.title), " ",
        el("span", "r-by", t.artist + " — " + t.album), " ",
        timeOf(t),
      );
      return li;
    });
    recentEl.replaceChildren(...items);
    recentEmpty.hidden = items.length > 0;
  }

  function connect() {
    if (source) source.close();
    clearTimeout(retryTimer);
    setState("connecting");
    const es = new EventSource("/events" + (prefix ? "?prefix=" + encodeURIComponent(prefix) : ""));
    source = es;
    const current = () => es === source;

    es.addEventListener("history", (e) => {
      if (!current()) return;
      tracks = JSON.parse(e.data).reverse().slice(0, historySize + 1);
      body.dataset.prefix = prefix;
      renderNow(false);
      renderRecent();
      setState("live"); // until a "feed" event says otherwise
    });
    es.addEventListener("feed", (e) => {
      if (!current()) return;
      const f = JSON.parse(e.data);
      if (f.state === "live") setState("live");
      else if (f.state === "offline") setState("offline", "Feed offline since " + clock(f.since));
      else setState("feed-connecting");
    });
    es.addEventListener("track", (e) => {
      if (!current()) return;
      tracks.unshift(JSON.parse(e.data));
      tracks.length = Math.min(tracks.length, historySize + 1);
      renderNow(true);
      renderRecent();
    });
    es.addEventListener("error", () => {
      if (!current()) return;
      setState("reconnecting");
      // The browser retries a dropped connection by itself, but gives up
      // on an HTTP error (such as 503 while the server shuts down).
      if (es.readyState === EventSource.CLOSED) {
        retryTimer = setTimeout(connect, 2000);
      }
    });
  }

  function apply(value) {
    clearTimeout(typingTimer);
    if (value === prefix && source) return;
    prefix = value;
    const url = new URL(location.href);
    if (prefix) url.searchParams.set("prefix", prefix);
    else url.searchParams.delete("prefix");
    history.replaceState(null, "", url);
    connect();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply(input.value);
  });
  input.addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => apply(input.value), 300);
  });

  // The artists to pick from, as the publisher's query socket lists them;
  // the browser filters the list as the user types. None: a plain box.
  function loadArtists() {
    fetch("/artists").then((r) => (r.ok ? r.json() : [])).then((artists) => {
      const list = document.getElementById("artists");
      list.replaceChildren(...artists.map((a) => {
        const o = el("option");
        o.value = a.artist || a.name;
        o.label = a.tracks === 1 ? "1 track" : a.tracks + " tracks";
        return o;
      }));
    }).catch(() => {});
  }

  // What the server rendered stays until the stream's history replaces it.
  startProgress();
  connect();
  loadArtists();
})();
