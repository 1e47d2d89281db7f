// A running verification's page, updated in place every few seconds (progressive enhancement:
// without JavaScript, the page's <noscript> meta refresh reloads it instead).
const region = document.querySelector("[data-update-every]");

if (region) {
  const every = Number(region.dataset.updateEvery) * 1000;
  const source = new URL(window.location.href);
  source.searchParams.set("updates", "off");

  const poll = async () => {
    let fetched;
    try {
      const response = await fetch(source, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      fetched = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      setTimeout(poll, every * 2); // the server may be busy: try again, less often
      return;
    }
    const next = fetched.getElementById(region.id);
    if (next && next.innerHTML !== region.innerHTML) {
      region.innerHTML = next.innerHTML;
      document.title = fetched.title;
    }
    if (fetched.querySelector("progress")) {
      setTimeout(poll, every);
    } else {
      document.getElementById("updates")?.remove(); // finished: nothing left to update
    }
  };

  setTimeout(poll, every);
}
