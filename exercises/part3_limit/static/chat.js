"use strict";

// Who we are and where: the server put these on the page (chat.html).
const page = document.getElementById("chat");
const me = { username: page.dataset.username, room: page.dataset.room };
const pageId = page.dataset.pageId;
const homeUrl = page.dataset.homeUrl;

const statusLine = document.getElementById("status");
const messageList = document.getElementById("messages");
const errorLine = document.getElementById("error");
const form = document.getElementById("message_input_form");
const messageInput = document.getElementById("message_input");
const sendButton = form.querySelector("button");
const ACK_TIMEOUT_MS = 5000;

// NO:3
// io() with no address connects to the server that served this page,
// whatever its name, port or scheme (a laptop on a classroom network,
// or https on a host).
const socket = io();

// Every line of the chat is built from text nodes: nothing a user typed
// is ever treated as HTML, so "<b>" shows as "<b>" and a script in a
// name never runs.
function addLine(className, ...parts) {
  const line = document.createElement("li");
  line.className = className;
  for (const [tag, text] of parts) {
    const part = document.createElement(tag);
    part.textContent = text;
    line.appendChild(part);
  }
  messageList.appendChild(line);
  line.scrollIntoView({ block: "end" });
}

function showError(text) {
  errorLine.textContent = text;
  errorLine.hidden = !text;
}

function setStatus(text, connected) {
  statusLine.textContent = text;
  messageInput.disabled = !connected;
  sendButton.disabled = !connected;
}

// Handlers are registered once, here, and not inside "connect": that
// event fires again on every reconnection, and each registration would
// show every message once more.
socket.on("connect", () => {
  setStatus("Connected", true);
  const joining = { ...me, page_id: pageId };
  socket.timeout(ACK_TIMEOUT_MS).emit("join_room", joining,
    (timedOut, answer) => {
      if (timedOut || !answer.ok) {
        showError(timedOut
          ? "The server did not answer. Try reloading the page."
          : answer.error);
        return;
      }
      const others = answer.members.filter((name) => name !== me.username);
      addLine("notice", ["span", others.length
        ? `You joined room ${me.room}. Also here: ${others.join(", ")}.`
        : `You joined room ${me.room}. Nobody else is here yet.`]);
    });
});

socket.on("disconnect", (reason) => {
  // The client reconnects by itself unless the server sent it away.
  setStatus(socket.active ? "Reconnecting…" : "Disconnected", false);
});

socket.io.on("reconnect_attempt", (attempt) => {
  setStatus(`Reconnecting (attempt ${attempt})…`, false);
});

socket.on("connect_error", (error) => {
  if (!socket.active) {
    // The server refused us (the session expired, say): retrying will
    // not help.
    setStatus("Disconnected", false);
    showError(`${error.message} Go back to the start page to join again.`);
  }
});

// NO:5
socket.on("join_room_announcement", (data) => {
  addLine("notice", ["strong", data.username],
    ["span", " has joined the room"]);
});

// NO:6
// Sending waits for the server's answer: the text stays in the box
// until the server accepted it, and a refusal is shown with its reason.
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = messageInput.value.trim();
  if (!message) return;
  sendButton.disabled = true;
  socket.timeout(ACK_TIMEOUT_MS).emit("send_message", { ...me, message },
    (timedOut, answer) => {
      sendButton.disabled = !socket.connected;
      if (timedOut || !answer.ok) {
        showError(timedOut
          ? "The server did not answer; your message may not have been sent."
          : answer.error);
        return;
      }
      showError("");
      messageInput.value = "";
      messageInput.focus();
    });
});

// NO:8
// Your own messages say "(you)" in words, which a screen reader reads
// too, and the class "mine" gives them a look of their own (style.css).
socket.on("receive_message", (data) => {
  const mine = data.username === me.username;
  addLine(mine ? "message mine" : "message", ["strong", data.username],
    ["span", mine ? " (you): " : ": "], ["span", data.message]);
});

// NO:9
// The Leave button says goodbye and goes back to the start page. Closing
// the tab needs no code: the server notices the connection closing and
// announces the leave itself.
document.getElementById("leave").addEventListener("click", () => {
  const goHome = () => { window.location.href = homeUrl; };
  if (!socket.connected) return goHome();
  socket.timeout(ACK_TIMEOUT_MS).emit("leave_room", me, goHome);
});

// NO:11
socket.on("leave_room_announcement", (data) => {
  addLine("notice", ["strong", data.username],
    ["span", " has left the room"]);
});
