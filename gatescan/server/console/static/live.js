// GateScan console, live view: poll live.json and redraw in place (no reload, no library).
// The page is complete without this script; it only keeps the figures moving.
"use strict";
(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const words = JSON.parse(document.getElementById("live-words").textContent);
  const w = (text) => words[text] || text;
  const url = root.dataset.url;
  const every = Math.max(2, Number(root.dataset.poll) || 5) * 1000;
  const clock = new Intl.DateTimeFormat(document.documentElement.lang, {
    timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit", second: "2-digit",
    hour12: false,
  });
  const SVG = "http://www.w3.org/2000/svg";
  const status = document.getElementById("live-updated");

  function el(tag, attrs, ...children) {
    const node = tag === "svg" || tag === "rect" || tag === "line"
      ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }

  function bars(lane, top) {
    const svg = el("svg", { class: "bars", viewBox: "0 0 300 64", role: "img",
      "aria-label": `${lane.gate}: ${lane.per_minute.at(-1)} ${w("per min")}` });
    lane.per_minute.forEach((n, i) => {
      const h = Math.round((n / top) * 560) / 10;
      svg.append(el("rect", { x: i * 10, y: 60 - h, width: 8, height: h }));
    });
    svg.append(el("line", { x1: 0, y1: 60.5, x2: 300, y2: 60.5 }));
    return svg;
  }

  function wait(lane) {
    const states = { idle: w("idle"), few: w("few scans"), full: w("full") };
    return lane.state === "flowing" ? `≈ ${lane.wait_min} ${w("min")}` : states[lane.state];
  }

  function lanes(data) {
    const box = document.getElementById("lanes");
    const top = Math.max(1, ...data.lanes.flatMap((l) => l.per_minute));
    const cards = data.lanes.map((lane) => {
      const card = el("article", { class: `card lane state-${lane.state}` }, el("h3", {}, lane.gate));
      card.append(bars(lane, top));
      card.append(el("div", { class: "axis" }, el("span", {}, `−30 ${w("min")}`),
        el("span", {}, `${w("max")} ${top}/${w("min")}`), el("span", {}, w("now"))));
      const dl = el("dl", { class: "rates" });
      dl.append(el("div", {}, el("dt", {}, w("arrivals")), el("dd", {}, `${lane.arrivals} /${w("min")}`)));
      dl.append(el("div", {}, el("dt", {}, w("throughput")), el("dd", {},
        lane.throughput === null ? "—" : `${lane.throughput} /${w("min")}`)));
      dl.append(el("div", {}, el("dt", {}, w("wait")), el("dd", { class: "wait" }, wait(lane))));
      card.append(dl);
      return card;
    });
    box.replaceChildren(...(cards.length ? cards : [el("p", {}, w("No gates yet."))]));
  }

  function types(data) {
    const body = document.querySelector("#types tbody");
    body.replaceChildren(...data.types.map((x) => {
      const pct = x.sold ? (100 * x.admitted) / x.sold : 0;
      const meter = el("span", { class: "meter" }, el("span", { style: `width: ${pct.toFixed(1)}%` }));
      return el("tr", {}, el("td", {}, x.name), el("td", {}, String(x.admitted)),
        el("td", {}, String(x.sold)), el("td", { class: "barcol" }, meter, ` ${Math.round(pct)} %`));
    }));
  }

  function conflicts(data) {
    const box = document.getElementById("conflicts");
    if (!data.conflicts.length) {
      box.replaceChildren(el("p", { class: "note" }, w("no conflicts")));
      return;
    }
    box.replaceChildren(...data.conflicts.map((c) => {
      const side = el("div", { class: "side" });
      for (const sc of c.scans) {
        if (sc.direction !== "entry" || !["admitted", "override_admitted"].includes(sc.outcome)) continue;
        side.append(el("div", { class: "scan" }, el("strong", {}, sc.gate),
          ` ${clock.format(new Date(sc.device_time * 1000))}`, el("br"),
          el("span", { class: "sub" }, `${sc.device_name || sc.device_id || "—"} · ${w("via " + sc.via)}`)));
      }
      const title = el("h3", {}, el("code", {}, c.ticket_id),
        ` · ${c.ticket_type} · ${c.entries} ${w("entries")}, ${c.allowed} ${w("allowed")}`);
      return el("article", { class: "card conflict" }, title, side);
    }));
  }

  function show(data) {
    for (const node of root.querySelectorAll("[data-k]")) node.textContent = String(data[node.dataset.k]);
    for (const node of root.querySelectorAll("[data-alarm]")) {
      node.classList.toggle("alarm", data[node.dataset.alarm] > 0);
    }
    lanes(data);
    types(data);
    conflicts(data);
    status.textContent = `${w("updated")} ${clock.format(new Date(data.now * 1000))}`;
    root.dispatchEvent(new CustomEvent("live-updated", { detail: data }));
  }

  async function poll() {
    try {
      const resp = await fetch(url, { credentials: "same-origin", redirect: "manual",
        headers: { Accept: "application/json" }, cache: "no-store" });
      if (resp.type === "opaqueredirect" || resp.status === 401 || resp.status === 403) {
        status.textContent = w("Signed out: reload the page to sign in again.");
        return;  // stop polling
      }
      if (!resp.ok) throw new Error(String(resp.status));
      show(await resp.json());
    } catch (err) {
      status.textContent = w("No connection to the server: retrying.");
    }
    setTimeout(poll, every);
  }
  setTimeout(poll, every);
})();
