/* Starts Swagger UI on the API's own document (the page is /api/docs; no inline script under the CSP). */
window.addEventListener('DOMContentLoaded', function () {
  window.ui = window.SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    // Deep links put a link inside each operation's toggle button (nested controls for screen readers).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    onComplete: function () {
      // Swagger UI leaves its server picker without a name.
      var servers = document.getElementById('servers');
      if (servers) servers.setAttribute('aria-label', 'Server');
    },
  });
});
