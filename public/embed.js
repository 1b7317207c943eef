/*
 * Reclaim's chat widget. One tag on any page:
 *
 *   <script src="https://YOUR-BOT/embed.js" async></script>
 *
 * Options (data- attributes on that tag, all optional):
 *   data-target="#id"      render inside this element instead of a floating button + panel
 *   data-title="Help"      the floating button's label
 *   data-accent="#fe2c55"  accent colour (buttons, the user's bubbles)
 *   data-style-options='{"bubbleBackground":"#eee"}'  any Web Chat styleOptions, as JSON
 *   data-locale="en-US"
 *   data-open="true"       open the floating panel at once
 *
 * The script loads Web Chat from the bot itself (/webchat/webchat.js), asks the
 * bot for a short-lived token (POST /api/webchat/token: no secret is ever in the
 * page) and connects to the bot's Direct Line (local, or Azure when configured).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var attr = function (name) { return script.getAttribute('data-' + name); };
  var base = (attr('bot') || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  var accent = attr('accent') || '#fe2c55';
  var extra = {};
  try { extra = JSON.parse(attr('style-options') || '{}'); } catch (e) { console.warn('Reclaim: data-style-options is not JSON', e); }

  var styleOptions = Object.assign({
    accent: accent,
    bubbleFromUserBackground: accent,
    bubbleFromUserTextColor: '#ffffff',
    bubbleFromUserBorderRadius: 12,
    bubbleBorderRadius: 12,
    botAvatarInitials: 'R',
    hideUploadButton: true,
    suggestedActionLayout: 'flow',
    primaryFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    sendBoxTextWrap: true
  }, extra);

  var api = (window.ReclaimChat = window.ReclaimChat || {});
  var webChatLoading;
  function loadWebChat() {
    if (window.WebChat) return Promise.resolve(window.WebChat);
    if (!webChatLoading) {
      webChatLoading = new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = base + '/webchat/webchat.js';
        s.async = true;
        s.onload = function () { resolve(window.WebChat); };
        s.onerror = function () { reject(new Error('could not load Web Chat from ' + s.src)); };
        document.head.appendChild(s);
      });
    }
    return webChatLoading;
  }

  function start(el) {
    return Promise.all([
      loadWebChat(),
      fetch(base + '/api/webchat/token', { method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: '{}' }).then(function (r) {
        if (!r.ok) throw new Error('the bot refused a chat token (HTTP ' + r.status + ')');
        return r.json();
      })
    ]).then(function (results) {
      var WebChat = results[0];
      var t = results[1];
      var directLine = WebChat.createDirectLine({
        token: t.token,
        domain: t.domain || base + '/v3/directline',
        webSocket: t.webSocket !== false,
        pollingInterval: 500
      });
      api.directLine = directLine;
      WebChat.renderWebChat({
        directLine: directLine,
        userID: t.userId,
        locale: attr('locale') || document.documentElement.lang || 'en-US',
        styleOptions: styleOptions
      }, el);
      el.setAttribute('data-reclaim-ready', 'true');
    }).catch(function (err) {
      el.textContent = 'The chat is not available right now. Please try again later.';
      el.setAttribute('data-reclaim-error', String(err && err.message || err));
      console.error('Reclaim:', err);
    });
  }

  function floating() {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reclaim-chat-button';
    button.textContent = attr('title') || 'Help with my account';
    button.setAttribute('aria-expanded', 'false');
    button.style.cssText = 'position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;' +
      'font:600 14px system-ui,sans-serif;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2);background:' + accent;
    var panel = document.createElement('div');
    panel.className = 'reclaim-chat-panel';
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', 'Chat with support');
    panel.style.cssText = 'position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));' +
      'height:min(600px,calc(100vh - 110px));background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none';
    var started = false;
    function toggle() {
      var open = panel.style.display === 'none';
      panel.style.display = open ? 'block' : 'none';
      button.setAttribute('aria-expanded', String(open));
      if (open && !started) { started = true; start(panel); }
    }
    button.addEventListener('click', toggle);
    document.body.appendChild(panel);
    document.body.appendChild(button);
    if (attr('open') === 'true') toggle();
  }

  function init() {
    var target = attr('target');
    if (target) {
      var el = document.querySelector(target);
      if (!el) return console.error('Reclaim: no element matches data-target="' + target + '"');
      start(el);
    } else {
      floating();
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
