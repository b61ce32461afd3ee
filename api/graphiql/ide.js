// Backoffice GraphiQL: every request carries the staff member's bearer token.
//
// The token is kept in sessionStorage (this tab, until it closes), never in localStorage
// nor in GraphiQL's own header editor, which it persists. It arrives either typed into the
// prompt or in the URL fragment (#token=…) that `backoffice serve` prints: a fragment is
// never sent to a server, and it is taken off the address bar at once. GraphiQL is mounted
// only once a token has been accepted, so its first introspection (Docs, autocompletion)
// already runs authenticated.
(function () {
  "use strict";

  const KEY = "backoffice.graphiql.token";
  const DEFAULT_QUERY = "# Backoffice GraphQL: run with Ctrl-Enter or the ▶ button.\n{ me { name branch roles } }\n";
  const endpoint = document.body.dataset.endpoint;
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const submit = document.getElementById("token-submit");
  const message = document.getElementById("token-message");
  let mounted = false;

  function takeTokenFromFragment() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const token = fragment.get("token");
    if (token === null) return;
    fragment.delete("token");
    const rest = fragment.toString();
    const url = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
    window.history.replaceState(window.history.state, "", url);
    if (token.trim()) window.sessionStorage.setItem(KEY, token.trim());
  }

  function hasHeader(headers, name) {
    return Object.keys(headers).some((key) => key.toLowerCase() === name);
  }

  function post(token, body, extraHeaders) {
    const headers = Object.assign(
      { "Content-Type": "application/json", Accept: "application/json" },
      extraHeaders || {},
    );
    // An Authorization typed into GraphiQL's Headers tab wins: that is how to try another
    // staff member's token for one request.
    if (!hasHeader(headers, "authorization")) headers.Authorization = "Bearer " + token;
    return window.fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "omit",
    });
  }

  // "accepted", "refused" (401), or throws when the service cannot be reached.
  async function check(token) {
    const response = await post(token, { query: "{ __typename }" });
    if (response.status === 401) return "refused";
    if (!response.ok) throw new Error("HTTP " + response.status);
    return "accepted";
  }

  function ask(text) {
    message.textContent = text;
    dialog.hidden = false;
    submit.disabled = false;
    input.value = "";
    input.focus();
  }

  function accept(token) {
    window.sessionStorage.setItem(KEY, token);
    dialog.hidden = true;
    message.textContent = "";
    mount();
  }

  function forget() {
    window.sessionStorage.removeItem(KEY);
    ask("");
  }

  async function fetcher(params, options) {
    const token = window.sessionStorage.getItem(KEY) || "";
    const response = await post(token, params, options && options.headers);
    if (response.status === 401) {
      window.sessionStorage.removeItem(KEY);
      ask("The service refused the token (revoked, or its staff member deactivated). Enter another.");
      return { errors: [{ message: "401: the token was refused; enter a token and run again." }] };
    }
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch (error) {
      return { errors: [{ message: "HTTP " + response.status + ": " + text }] };
    }
  }

  function keyIcon() {
    const h = React.createElement;
    return h(
      "svg",
      {
        className: "graphiql-toolbar-icon",
        viewBox: "0 0 24 24",
        fill: "none",
        stroke: "currentColor",
        strokeWidth: 1.5,
        "aria-hidden": "true",
      },
      h("circle", { cx: 7.5, cy: 12, r: 4 }),
      h("path", { d: "M11.5 12H21M18 12v3M15 12v2.5" }),
    );
  }

  function toolbar() {
    const h = React.createElement;
    const forgetButton = h(
      "button",
      {
        type: "button",
        className: "graphiql-un-styled graphiql-toolbar-button",
        title: "Forget the token of this tab and enter another",
        "aria-label": "Change token",
        id: "change-token",
        onClick: forget,
      },
      keyIcon(),
    );
    return h(GraphiQL.Toolbar, null, (buttons) =>
      h(React.Fragment, null, buttons.prettify, buttons.merge, buttons.copy, forgetButton),
    );
  }

  function mount() {
    if (mounted) return;
    mounted = true;
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(
      React.createElement(
        GraphiQL,
        {
          fetcher: fetcher,
          defaultQuery: DEFAULT_QUERY,
          defaultEditorToolsVisibility: true,
          shouldPersistHeaders: false,
        },
        toolbar(),
      ),
    );
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    submit.disabled = true;
    try {
      if ((await check(token)) === "accepted") accept(token);
      else ask("That token was not accepted. Check it and try again.");
    } catch (error) {
      ask("The service could not be reached (" + error.message + "). Try again.");
    }
  });

  async function start() {
    takeTokenFromFragment();
    const token = window.sessionStorage.getItem(KEY);
    if (!token) {
      ask("");
      return;
    }
    try {
      if ((await check(token)) === "accepted") accept(token);
      else {
        window.sessionStorage.removeItem(KEY);
        ask("That token was not accepted. Enter another.");
      }
    } catch (error) {
      ask("The service could not be reached (" + error.message + "). Try again.");
    }
  }

  start();
})();
