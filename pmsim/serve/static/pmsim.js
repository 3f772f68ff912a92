// pmsim serve: the tab around textual-serve's terminal (textual.js, loaded after this).
//
// - The websocket URL is this page's own host unless the server was given --public-url.
// - A socket that drops (the network, a sleeping laptop, a restarting server) is
//   reopened: the page waits for the server's /healthz and loads itself again; the new
//   process replays the session from the store, so the tab is back where it was.
// - A meeting room that was quit (Ctrl+Q) offers to open again; nothing is lost.
// - The terminal has the keyboard as soon as the socket is open (no click first), and
//   keys typed while the socket is still connecting are sent once it opens (textual.js
//   would throw them away: a socket that is connecting refuses to send).
// - A file the console sends (its export) is downloaded from the console's own download
//   path; a room tab downloads nothing.
// - window.pmsim.screenText() is the terminal's text (for screen readers and tests).
(function () {
  "use strict";
  var terminals = [];
  var sockets = [];

  // Catch the xterm Terminal that textual.js assigns to `this.terminal`, once.
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set: function (value) {
      Object.defineProperty(this, "terminal", {
        value: value, writable: true, configurable: true, enumerable: true,
      });
      if (value && typeof value.write === "function" && value.buffer) {
        terminals.push(value);
        delete Object.prototype.terminal;
      }
    },
  });

  var NativeWebSocket = window.WebSocket;
  function TabSocket(url, protocols) {
    var socket = protocols === undefined ? new NativeWebSocket(url)
                                         : new NativeWebSocket(url, protocols);
    sockets.push(socket);
    var send = socket.send;
    var waiting = [];
    socket.send = function (data) {
      if (socket.readyState === NativeWebSocket.CONNECTING) {
        waiting.push(data);
      } else {
        send.call(socket, data);
      }
    };
    socket.addEventListener("open", function () {
      setStatus("");
      while (waiting.length) { send.call(socket, waiting.shift()); }
      var terminal = terminals[0];
      if (terminal) { terminal.focus(); }
    });
    socket.addEventListener("close", function (event) { closed(event.code); });
    return socket;
  }
  TabSocket.prototype = NativeWebSocket.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (name) {
    TabSocket[name] = NativeWebSocket[name];
  });
  window.WebSocket = TabSocket;

  function setStatus(text) {
    var status = document.getElementById("status");
    if (status) {
      status.textContent = text;
      status.hidden = !text;
    }
  }

  function overlay(title, text) {
    document.getElementById("closed-title").textContent = title;
    document.getElementById("closed-text").textContent = text;
    document.getElementById("closed").hidden = false;
  }

  function what() {
    var element = document.getElementById("terminal");
    return (element && element.dataset.what) || "meeting room";
  }

  var reopening = false;
  function closed(code) {
    if (reopening) { return; }
    if (code === 1000) {
      setStatus("");
      overlay("The " + what() + " closed", "Everything you did is saved.");
    } else if (code === 1011) {
      setStatus("");
      overlay("The " + what() + " stopped with an error",
              "Everything saved before it is kept. Tell your facilitator if it happens again.");
    } else {
      reopening = true;
      setStatus("Connection lost: reconnecting…");
      waitForServer(1000);
    }
  }

  function waitForServer(delay) {
    var url = document.getElementById("terminal").dataset.healthUrl;
    var retry = function () {
      setTimeout(function () { waitForServer(Math.min(delay * 2, 5000)); }, delay);
    };
    fetch(url, { cache: "no-store" }).then(function (response) {
      if (response.ok) { window.location.reload(); } else { retry(); }
    }, retry);
  }

  // textual.js opens ORIGIN/download/KEY in a new window for a delivered file: a window
  // opened without a click is blocked, and the path is not this server's. The file is
  // fetched from the console's download path by a link instead.
  var nativeOpen = window.open;
  window.open = function (url) {
    var found = /^[a-z]+:\/\/[^/]+\/download\/([0-9a-f]+)(?:\?.*)?$/.exec(String(url));
    if (found && String(url).indexOf(window.location.origin + "/") === 0) {
      var element = document.getElementById("terminal");
      var path = element ? element.dataset.downloadPath : "";
      if (path) {
        var link = document.createElement("a");
        link.href = path + found[1];
        link.download = "";
        link.hidden = true;
        document.body.appendChild(link);
        link.click();
        link.remove();
      }
      return null;
    }
    return nativeOpen.apply(window, arguments);
  };

  window.addEventListener("online", function () {
    if (reopening) { waitForServer(1000); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("terminal");
    if (element && !element.dataset.sessionWebsocketUrl) {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      element.dataset.sessionWebsocketUrl = scheme + window.location.host
        + element.dataset.wsPath;
    }
    var reopen = document.getElementById("reopen");
    if (reopen) {
      reopen.addEventListener("click", function () { window.location.reload(); });
    }
  });
  window.addEventListener("load", function () {
    // After textual.js's own onload (this listener runs first): caught by then, or
    // textual.js changed and there is nothing to catch.
    setTimeout(function () { delete Object.prototype.terminal; }, 0);
  });

  window.pmsim = {
    screenText: function () {
      var terminal = terminals[0];
      if (!terminal) { return ""; }
      var buffer = terminal.buffer.active;
      var lines = [];
      for (var row = 0; row < terminal.rows; row++) {
        var line = buffer.getLine(buffer.viewportY + row);
        lines.push(line ? line.translateToString(true) : "");
      }
      return lines.join("\n");
    },
    connected: function () {
      var socket = sockets[sockets.length - 1];
      return !!socket && socket.readyState === NativeWebSocket.OPEN;
    },
  };
})();
