"use strict";

// Who we are and where: the server put these on the page (chat.html).
const page = document.getElementById("chat");
const me = { username: page.dataset.username, room: page.dataset.room };

const messageList = document.getElementById("messages");
const form = document.getElementById("message_input_form");
const messageInput = document.getElementById("message_input");

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

// Handlers are registered once, here, and not inside "connect": that
// event fires again on every reconnection, and each registration would
// show every message once more.
socket.on("connect", () => {
  socket.emit("join_room", me);
});

// NO:5
socket.on("join_room_announcement", (data) => {
  addLine("notice", ["strong", data.username],
    ["span", " has joined the room"]);
});

// NO:6
// The text stays in the box until the server has answered.
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = messageInput.value.trim();
  if (!message) return;
  socket.emit("send_message", { ...me, message }, () => {
    messageInput.value = "";
    messageInput.focus();
  });
});

// NO:8
// Your own messages say "(you)" in words, which a screen reader reads
// too, and the class "mine" gives them a look of their own (style.css).
socket.on("receive_message", (data) => {
  const mine = data.username === me.username;
  addLine(mine ? "message mine" : "message", ["time", localTime(data.time)],
    ["strong", data.username], ["span", mine ? " (you): " : ": "],
    ["span", data.message]);
});

// The server's UTC time, shown in the reader's own time zone and the
// browser's own way of writing a time ("14:05", or "2:05 PM").
function localTime(utc) {
  return new Date(utc).toLocaleTimeString([],
    { hour: "2-digit", minute: "2-digit" }) + " ";
}
