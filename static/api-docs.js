// The API page (/docs): reads /openapi.json and shows each operation, grouped by tag, with its
// parameters, request body and responses; a GET without parameters can be tried in place.
// Schemas are shown as JSON, with each $ref a link to its entry under "Schemas".
"use strict";

(() => {
  const root = document.getElementById("api");
  const METHOD_COLOURS = { get: "primary", put: "warning", post: "success", delete: "danger" };

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function refName(ref) {
    return ref.replace("#/components/schemas/", "");
  }

  // A schema as indented JSON, each "$ref" value turned into a link to its schema.
  function schemaView(schema) {
    const pre = element("pre", { class: "small bg-body-tertiary p-2 mb-0 rounded" });
    const text = JSON.stringify(schema, null, 2);
    let last = 0;
    for (const match of text.matchAll(/"(#\/components\/schemas\/[^"]+)"/g)) {
      pre.append(text.slice(last, match.index));
      const name = refName(match[1]);
      pre.append(element("a", { href: `#schema-${name}`, text: `"${name}"` }));
      last = match.index + match[0].length;
    }
    pre.append(text.slice(last));
    return pre;
  }

  function parametersView(parameters) {
    const rows = parameters.map((p) => element("tr", {},
      element("td", {}, element("code", { text: p.name })),
      element("td", { text: p.in }),
      element("td", { text: p.description || "" }),
      element("td", {}, element("code", { text: JSON.stringify(p.schema) }))));
    return element("table", { class: "table table-sm small mb-2" },
      element("thead", {}, element("tr", {}, ...["name", "in", "what", "schema"]
        .map((h) => element("th", { text: h })))),
      element("tbody", {}, ...rows));
  }

  function responsesView(responses) {
    return element("div", {}, ...Object.entries(responses).map(([status, answer]) => {
      const media = Object.entries(answer.content || {});
      const summary = element("summary", {},
        element("span", { class: "badge text-bg-secondary me-2", text: status }),
        `${answer.description}${media.length ? ` · ${media[0][0]}` : ""}`);
      const details = element("details", { class: "mb-1" }, summary);
      for (const [, body] of media) details.append(schemaView(body.schema));
      return details;
    }));
  }

  // Fetch the path and show the status and body under the button.
  function tryButton(path) {
    const output = element("pre", { class: "try-output small bg-body-tertiary p-2 mt-2 rounded",
      hidden: "" });
    const button = element("button", { class: "btn btn-sm btn-outline-primary", type: "button",
      text: "Try it" });
    button.onclick = async () => {
      output.hidden = false;
      output.textContent = "…";
      try {
        const answer = await fetch(path);
        const type = answer.headers.get("Content-Type") || "";
        const body = type.startsWith("image/") ? `(${type}, ${(await answer.blob()).size} bytes)`
          : await answer.text();
        output.textContent = `${answer.status} ${type}\n${body.slice(0, 4000)}`;
      } catch (error) {
        output.textContent = String(error);
      }
    };
    return element("div", { class: "mt-2" }, button, output);
  }

  function operationView(path, method, operation) {
    const id = operation.operationId;
    const body = element("div", { class: "card-body py-2" });
    if (operation.parameters) body.append(parametersView(operation.parameters));
    const request = operation.requestBody?.content?.["application/json"];
    if (request) {
      body.append(element("div", { class: "small fw-semibold", text: "Request body (JSON)" }),
        schemaView(request.schema));
    }
    body.append(element("div", { class: "small fw-semibold mt-2", text: "Responses" }),
      responsesView(operation.responses));
    if (method === "get" && !operation.parameters && !operation["x-streams"]) {
      body.append(tryButton(path));
    }
    return element("div", { class: "card mb-2", id },
      element("div", { class: "card-header py-1" },
        element("span", { class: `badge text-bg-${METHOD_COLOURS[method] || "secondary"} me-2`,
          text: method.toUpperCase() }),
        element("code", { class: "me-2", text: path }),
        element("span", { class: "small text-body-secondary", text: operation.summary || "" })),
      body);
  }

  function render(api) {
    root.replaceChildren(element("h1", { class: "h4", text: api.info.title }),
      element("p", { class: "text-body-secondary small",
        text: `OpenAPI ${api.openapi}, version ${api.info.version}. ${api.info.description}` }));
    const byTag = new Map();
    for (const [path, operations] of Object.entries(api.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const tag = (operation.tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationView(path, method, operation));
      }
    }
    const nav = element("nav", { class: "mb-3" }, ...[...byTag.keys(), "schemas"].map((tag) =>
      element("a", { class: "btn btn-sm btn-outline-secondary me-1 mb-1", href: `#tag-${tag}`,
        text: tag })));
    root.append(nav);
    for (const [tag, views] of byTag) {
      root.append(element("h2", { class: "h5 mt-3", id: `tag-${tag}`, text: tag }), ...views);
    }
    root.append(element("h2", { class: "h5 mt-3", id: "tag-schemas", text: "Schemas" }),
      ...Object.entries(api.components?.schemas || {}).map(([name, schema]) =>
        element("div", { class: "mb-2", id: `schema-${name}` },
          element("code", { text: name }), schemaView(schema))));
  }

  fetch(root.dataset.source)
    .then((answer) => {
      if (!answer.ok) throw new Error(`${root.dataset.source}: ${answer.status}`);
      return answer.json();
    })
    .then(render)
    .catch((error) => {
      document.getElementById("api-status").textContent = `Cannot read the description: ${error}`;
    });
})();
