// Starts Swagger UI on /docs. A file rather than an inline script, so that
// the page's Content-Security-Policy allows scripts from the gateway only.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default sends the document to validator.swagger.io: nothing leaves.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
