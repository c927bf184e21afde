// sigctl demo call: a mesh video call with everyone in a room, over the sigctl signaling protocol.
//
// What it shows, in order of appearance:
//   1. local media: camera and microphone, or a generated test pattern and tone when there are none;
//   2. signaling: one WebSocket, JSON text frames (Join, RoomJoined, UserJoined, UserLeft, Offer, Answer,
//      IceCandidate, Error), re-joining after the socket drops;
//   3. one RTCPeerConnection per other participant, with trickle ICE. A newcomer calls everyone listed in its
//      RoomJoined; the others answer. Negotiation follows the "perfect negotiation" pattern, so either side may
//      offer at any time (two users who join at once may both call): on a collision the polite side, the one
//      with the higher user_id, gives way;
//   4. a text chat over a negotiated data channel on each peer connection.
//
// window.sigctlDemo exposes the state (snapshot(), stats()) and the actions (join, leave, sendChat) for
// scripts and tests.
'use strict';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// Signaling endpoints, tried in turn on every (re)connect.
const endpoints = (params.get('ws') || '').split(',').map((s) => s.trim()).filter(Boolean);
if (endpoints.length === 0) {
  endpoints.push(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
}
const iceServers = (params.get('ice') || '').split(',').map((s) => s.trim()).filter(Boolean)
  .map((url) => ({ urls: url }));

// Join errors that a retry cannot fix: give up instead of reconnecting.
const FATAL_JOIN_ERRORS = new Set(['invalid_room_name', 'invalid_username', 'unauthorized', 'already_in_room', 'bad_message']);

const state = {
  status: 'idle',          // idle | connecting | joined | reconnecting
  wantJoined: false,       // the user asked to be in the room: reconnect when the socket drops
  endpointIndex: 0,
  endpoint: null,
  room: '',
  username: '',
  userId: null,            // assigned by the node in RoomJoined; a new one after every reconnect
  joins: 0,                // RoomJoined count: 2 or more means the page has re-joined
  participants: new Map(), // user_id → username, everyone else in the room
  peers: new Map(),        // user_id → peer (see createPeer)
  media: null,
  mediaKind: null,         // 'camera' or 'pattern'
  chat: [],
  log: [],
};

let socket = null;
let reconnectTimer = null;
let reconnectDelay = 500;

// ---------------------------------------------------------------------------------------------------------------
// Logging: the page's event log, also kept in state.log for tests.

function log(level, text) {
  state.log.push({ time: new Date().toISOString(), level, text });
  if (state.log.length > 1000) state.log.shift();
  (console[level] || console.log)(`[sigctl demo] ${text}`);
  const item = document.createElement('li');
  item.className = level;
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  const list = $('log');
  list.append(item);
  while (list.children.length > 200) list.firstChild.remove();
  list.scrollTop = list.scrollHeight;
}

window.addEventListener('error', (event) => log('error', `uncaught: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => log('error', `unhandled rejection: ${event.reason}`));

// ---------------------------------------------------------------------------------------------------------------
// Local media.

async function getLocalMedia() {
  if (state.media) return state.media;
  if (params.get('media') !== 'pattern' && navigator.mediaDevices?.getUserMedia) {
    try {
      state.media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
      state.mediaKind = 'camera';
    } catch (error) {
      log('warn', `no camera or microphone (${error.name}): sending a test pattern and tone`);
    }
  }
  if (!state.media) {
    state.media = testPatternStream();
    state.mediaKind = 'pattern';
  }
  $('local-video').srcObject = state.media;
  $('local-media').textContent = state.mediaKind;
  return state.media;
}

// Colour bars with a moving marker, the name and the time (canvas.captureStream), plus a quiet 440 Hz tone
// (WebAudio).
function testPatternStream() {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d');
  const bars = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
  const hue = [...(state.username || 'sigctl')].reduce((h, c) => (h * 31 + c.codePointAt(0)) % 360, 0);
  let frame = 0;
  const draw = () => {
    const w = canvas.width / bars.length;
    bars.forEach((colour, i) => { g.fillStyle = colour; g.fillRect(i * w, 0, w + 1, 250); });
    g.fillStyle = `hsl(${hue} 60% 35%)`;
    g.fillRect(0, 250, canvas.width, 110);
    g.fillStyle = '#fff';
    g.fillRect((frame * 4) % canvas.width, 250, 12, 12);
    g.font = 'bold 40px sans-serif';
    g.fillText(state.username || 'sigctl', 24, 312);
    g.font = '24px monospace';
    g.fillText(new Date().toLocaleTimeString(), 24, 345);
    frame += 1;
  };
  draw();
  setInterval(draw, 1000 / 15);
  const stream = canvas.captureStream(15);

  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    const destination = audio.createMediaStreamDestination();
    tone.frequency.value = 440;
    gain.gain.value = 0.03;
    tone.connect(gain).connect(destination);
    tone.start();
    stream.addTrack(destination.stream.getAudioTracks()[0]);
  } catch (error) {
    log('warn', `no WebAudio tone: ${error}`);
  }
  return stream;
}

// ---------------------------------------------------------------------------------------------------------------
// Signaling socket.

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(message));
  } else {
    log('warn', `not sent (socket not open): ${message.type}`);
  }
}

function connect({ reconnecting = false } = {}) {
  clearTimeout(reconnectTimer);
  const url = endpoints[state.endpointIndex % endpoints.length];
  state.endpoint = url;
  setStatus(reconnecting ? 'reconnecting' : 'connecting');
  log('info', `connecting to ${url}`);

  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    log('info', `connected; joining ${state.room} as ${state.username}`);
    send({ type: 'Join', room_name: state.room, username: state.username });
  };
  // Messages are handled one at a time, in arrival order: an IceCandidate must not be applied before the Offer
  // it belongs to has been (setRemoteDescription is asynchronous).
  // Messages still queued from a socket that has since closed are dropped.
  ws.onmessage = (event) => enqueue(() => (ws === socket ? handleMessage(JSON.parse(event.data)) : undefined));
  ws.onerror = () => log('warn', `socket error on ${url}`);
  ws.onclose = (event) => {
    if (ws !== socket) return; // an old socket we already replaced
    socket = null;
    log('warn', `socket closed (${event.code}${event.reason ? ' ' + event.reason : ''})`);
    endCalls();
    if (state.wantJoined) {
      scheduleReconnect();
    } else {
      setStatus('idle');
    }
  };
}

// Reconnects with capped exponential backoff and jitter, moving on to the next endpoint each time.
function scheduleReconnect() {
  state.endpointIndex += 1;
  const delay = reconnectDelay * (0.75 + Math.random() / 2);
  reconnectDelay = Math.min(reconnectDelay * 2, 5000);
  setStatus('reconnecting');
  log('info', `reconnecting in ${Math.round(delay)} ms`);
  reconnectTimer = setTimeout(() => connect({ reconnecting: true }), delay);
}

let queue = Promise.resolve();
function enqueue(task) {
  queue = queue.then(task).catch((error) => log('error', `${error?.name || 'error'}: ${error?.message || error}`));
}

async function handleMessage(message) {
  switch (message.type) {
    case 'RoomJoined':
      state.userId = message.user_id;
      state.joins += 1;
      reconnectDelay = 500;
      setStatus('joined');
      log('info', `joined ${message.room_name} as user ${message.user_id}; ${message.participants.length} already here`);
      state.participants = new Map(message.participants.map((p) => [p.user_id, p.username]));
      // The newcomer calls everyone already here.
      for (const p of message.participants) createPeer(p.user_id);
      break;
    case 'UserJoined':
      // The node may repeat a UserJoined for someone already known (PROTOCOL.md §1): de-duplicate by user_id.
      if (message.user.user_id === state.userId) break;
      if (!state.participants.has(message.user.user_id)) log('info', `${message.user.username} (${message.user.user_id}) joined`);
      // The newcomer will call us (its RoomJoined lists us): wait for its Offer. Calling it too would only
      // make both offers collide.
      state.participants.set(message.user.user_id, message.user.username);
      break;
    case 'UserLeft':
      if (state.participants.has(message.user_id)) log('info', `${nameOf(message.user_id)} (${message.user_id}) left`);
      state.participants.delete(message.user_id);
      closePeer(message.user_id);
      break;
    case 'RoomLeft':
      endCalls();
      break;
    case 'Offer':
      await handleDescription(createPeer(message.from_user_id), { type: 'offer', sdp: message.sdp });
      break;
    case 'Answer':
      await handleDescription(createPeer(message.from_user_id), { type: 'answer', sdp: message.sdp });
      break;
    case 'IceCandidate':
      await handleCandidate(createPeer(message.from_user_id), message);
      break;
    case 'Error':
      log('warn', `node says ${message.code}: ${message.message}`);
      if (state.status !== 'joined' && FATAL_JOIN_ERRORS.has(message.code)) {
        state.wantJoined = false;
        socket?.close(1000);
      }
      break;
    default:
      log('warn', `unknown message type ${message.type}`);
  }
  render();
}

// ---------------------------------------------------------------------------------------------------------------
// Peer connections: one per other participant.

function nameOf(userId) {
  return state.participants.get(userId) ?? `user ${userId}`;
}

// The peer for userId, created on first use (a participant we were told about, or an Offer from someone whose
// UserJoined is still on its way).
function createPeer(userId) {
  const existing = state.peers.get(userId);
  if (existing) return existing;

  const pc = new RTCPeerConnection({ iceServers });
  const peer = {
    userId,
    pc,
    // Perfect negotiation: on an offer collision the polite peer rolls its own offer back, the impolite one
    // ignores the incoming offer. Both sides must agree on who is polite: here, the higher user_id.
    polite: state.userId > userId,
    makingOffer: false,
    ignoreOffer: false,
    candidates: { sent: 0, added: 0, dropped: 0 },
    lastAttempt: Date.now(), // when the connection was created or its ICE last restarted (see the watchdog)
    // negotiated: both sides create the same channel (id 0) and no 'datachannel' event is needed.
    channel: pc.createDataChannel('chat', { negotiated: true, id: 0 }),
    tile: createTile(userId),
  };
  state.peers.set(userId, peer);

  for (const track of state.media.getTracks()) pc.addTrack(track, state.media);

  pc.onnegotiationneeded = async () => {
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription();
      send({ type: 'Offer', room_name: state.room, sdp: pc.localDescription.sdp, target_user_id: userId });
    } catch (error) {
      log('error', `offer to ${userId} failed: ${error}`);
    } finally {
      peer.makingOffer = false;
    }
  };

  // Trickle ICE: each candidate goes out as soon as it is found; an empty candidate marks the end.
  pc.onicecandidate = ({ candidate }) => {
    const message = { type: 'IceCandidate', room_name: state.room, target_user_id: userId, candidate: '' };
    if (candidate) {
      message.candidate = candidate.candidate;
      message.sdp_mid = candidate.sdpMid;
      message.sdp_mline_index = candidate.sdpMLineIndex;
      if (candidate.usernameFragment) message.username_fragment = candidate.usernameFragment;
      peer.candidates.sent += 1;
    } else {
      log('info', `${nameOf(userId)}: all ${peer.candidates.sent} local candidates sent`);
    }
    send(message);
  };

  pc.ontrack = ({ track, streams }) => {
    const video = peer.tile.querySelector('video');
    video.srcObject = streams[0] ?? new MediaStream([track]);
    // Browsers may refuse to autoplay sound before the user has interacted with the page: play muted then.
    video.play().catch(() => { video.muted = true; video.play().catch(() => {}); });
  };

  pc.onsignalingstatechange = () => log('info', `${nameOf(userId)}: signaling ${pc.signalingState}`);
  pc.oniceconnectionstatechange = () => log('info', `${nameOf(userId)}: ICE ${pc.iceConnectionState}`);
  pc.onconnectionstatechange = () => {
    log('info', `${nameOf(userId)}: ${pc.connectionState}`);
    if (pc.connectionState === 'failed') {
      peer.lastAttempt = Date.now();
      pc.restartIce();
    }
    render();
  };

  peer.channel.onopen = () => render();
  peer.channel.onclose = () => render();
  peer.channel.onmessage = (event) => {
    let text = String(event.data);
    try { text = String(JSON.parse(event.data).text ?? text); } catch { /* plain text from another client */ }
    addChat({ user_id: userId, username: nameOf(userId), text, mine: false });
  };

  log('info', `peer connection for ${nameOf(userId)} (${userId}), ${peer.polite ? 'polite' : 'impolite'}`);
  render();
  return peer;
}

async function handleDescription(peer, description) {
  const { pc } = peer;
  const collision = description.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
  peer.ignoreOffer = !peer.polite && collision;
  if (peer.ignoreOffer) {
    log('info', `offer collision with ${nameOf(peer.userId)}: ignoring theirs (impolite)`);
    return;
  }
  if (collision) log('info', `offer collision with ${nameOf(peer.userId)}: rolling ours back (polite)`);
  await pc.setRemoteDescription(description); // rolls back our own offer when needed
  if (description.type === 'offer') {
    await pc.setLocalDescription();
    send({ type: 'Answer', room_name: state.room, sdp: pc.localDescription.sdp, target_user_id: peer.userId });
  }
}

async function handleCandidate(peer, message) {
  const candidate = { candidate: message.candidate, sdpMid: message.sdp_mid ?? null, sdpMLineIndex: message.sdp_mline_index ?? null };
  if (message.username_fragment) candidate.usernameFragment = message.username_fragment;
  try {
    await peer.pc.addIceCandidate(message.candidate === '' && candidate.sdpMid === null && candidate.sdpMLineIndex === null ? undefined : candidate);
    if (message.candidate !== '') peer.candidates.added += 1;
  } catch (error) {
    // Candidates of an offer we ignored cannot be added; anything else is worth a line in the log.
    peer.candidates.dropped += 1;
    log(peer.ignoreOffer ? 'info' : 'warn', `candidate from ${nameOf(peer.userId)} not added: ${error}`);
  }
}

function closePeer(userId) {
  const peer = state.peers.get(userId);
  if (!peer) return;
  peer.channel.close();
  peer.pc.close();
  peer.tile.remove();
  state.peers.delete(userId);
}

// The socket is gone (or we left): every call ends. Ids change on re-join, so calls are set up afresh then.
function endCalls() {
  for (const userId of [...state.peers.keys()]) closePeer(userId);
  state.participants.clear();
  state.userId = null;
  render();
}

// A call that is still not connected after a while gets an ICE restart (a new offer, new candidates). Browsers
// do not always recover by themselves: Chromium, for one, may gather no candidates at all for an answer after
// rolling back an offer it had only just made.
const WATCHDOG_MS = 6000;
setInterval(() => {
  for (const peer of state.peers.values()) {
    const { pc } = peer;
    const stuck = ['new', 'connecting', 'failed'].includes(pc.connectionState) && pc.signalingState === 'stable';
    if (stuck && Date.now() - peer.lastAttempt > WATCHDOG_MS) {
      peer.lastAttempt = Date.now();
      log('warn', `${nameOf(peer.userId)}: not connected after ${WATCHDOG_MS / 1000} s (${pc.connectionState}): restarting ICE`);
      pc.restartIce();
    }
  }
}, 1000);

// ---------------------------------------------------------------------------------------------------------------
// Chat.

function sendChat(text) {
  text = String(text).trim();
  if (!text) return 0;
  let sent = 0;
  for (const peer of state.peers.values()) {
    if (peer.channel.readyState === 'open') {
      peer.channel.send(JSON.stringify({ text }));
      sent += 1;
    }
  }
  addChat({ user_id: state.userId, username: state.username, text, mine: true });
  return sent;
}

function addChat(entry) {
  state.chat.push({ ...entry, time: new Date().toISOString() });
  const item = document.createElement('li');
  if (entry.mine) item.className = 'mine';
  const who = document.createElement('b');
  who.textContent = entry.mine ? 'you' : entry.username;
  item.append(who, ` ${entry.text}`);
  $('chat').append(item);
  $('chat').scrollTop = $('chat').scrollHeight;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering.

function createTile(userId) {
  const figure = document.createElement('figure');
  figure.className = 'tile';
  figure.dataset.userId = userId;
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement('figcaption');
  const name = document.createElement('strong');
  const badge = document.createElement('span');
  badge.className = 'badge';
  caption.append(name, badge);
  figure.append(video, caption);
  $('videos').append(figure);
  return figure;
}

function setStatus(status) {
  state.status = status;
  render();
}

function render() {
  const status = $('status');
  status.textContent = state.status === 'joined' ? `joined ${state.room} as #${state.userId}` : state.status;
  status.dataset.status = state.status;
  $('endpoint').textContent = state.endpoint ?? '';
  $('local-name').textContent = state.username ? `${state.username} (you)` : 'you';
  $('join').disabled = state.wantJoined;
  $('leave').disabled = !state.wantJoined;
  $('room').disabled = $('name').disabled = state.wantJoined;
  const anyOpen = [...state.peers.values()].some((p) => p.channel.readyState === 'open');
  $('chat-text').disabled = $('chat-send').disabled = !anyOpen;

  for (const peer of state.peers.values()) {
    peer.tile.querySelector('strong').textContent = nameOf(peer.userId);
    const badge = peer.tile.querySelector('.badge');
    badge.textContent = peer.pc.connectionState;
    badge.dataset.state = peer.pc.connectionState;
  }

  const list = $('participants');
  list.replaceChildren();
  if (state.status !== 'joined') {
    const item = document.createElement('li');
    item.className = 'muted';
    item.textContent = state.wantJoined ? state.status : 'not in a room';
    list.append(item);
    return;
  }
  const me = document.createElement('li');
  me.textContent = `${state.username} (you, #${state.userId})`;
  list.append(me);
  for (const [userId, username] of state.participants) {
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.textContent = `${username} #${userId}`;
    const badge = document.createElement('span');
    badge.className = 'badge';
    const connection = state.peers.get(userId)?.pc.connectionState ?? 'new';
    const channel = state.peers.get(userId)?.channel.readyState;
    badge.textContent = !state.peers.has(userId) ? 'waiting for a call' : channel === 'open' ? `${connection} · chat` : connection;
    badge.dataset.state = connection;
    item.append(name, badge);
    list.append(item);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Actions, the form, and the scripting interface.

async function join(room, username) {
  if (state.wantJoined) return;
  state.room = $('room').value = String(room).trim();
  state.username = $('name').value = String(username).trim();
  state.wantJoined = true;
  state.endpointIndex = 0;
  reconnectDelay = 500;
  render();
  await getLocalMedia();
  connect();
}

function leave() {
  state.wantJoined = false;
  clearTimeout(reconnectTimer);
  const ws = socket;
  socket = null;
  if (ws?.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify({ type: 'Leave', room_name: state.room }));
  }
  ws?.close(1000);
  endCalls();
  setStatus('idle');
  log('info', 'left');
}

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  join($('room').value, $('name').value);
});
$('leave').addEventListener('click', leave);
$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sendChat($('chat-text').value);
  $('chat-text').value = '';
});

window.sigctlDemo = {
  join,
  leave,
  sendChat,
  // Restarts ICE on every call at `time` (ms since the epoch): two pages given the same time make offers that
  // cross, which exercises the glare handling. Returns how many calls it will restart.
  restartIceAt(time) {
    const peers = [...state.peers.values()];
    setTimeout(() => peers.forEach((peer) => peer.pc.restartIce()), Math.max(0, time - Date.now()));
    return peers.length;
  },
  // Everything the page knows, as plain data.
  snapshot() {
    return {
      status: state.status,
      endpoint: state.endpoint,
      room: state.room,
      username: state.username,
      userId: state.userId,
      joins: state.joins,
      mediaKind: state.mediaKind,
      participants: [...state.participants].map(([user_id, username]) => ({ user_id, username })),
      peers: [...state.peers.values()].map((peer) => {
        const video = peer.tile.querySelector('video');
        return {
          user_id: peer.userId,
          username: nameOf(peer.userId),
          polite: peer.polite,
          connectionState: peer.pc.connectionState,
          iceConnectionState: peer.pc.iceConnectionState,
          signalingState: peer.pc.signalingState,
          dataChannel: peer.channel.readyState,
          candidates: { ...peer.candidates },
          videoWidth: video.videoWidth,
          currentTime: video.currentTime,
        };
      }),
      chat: state.chat.slice(),
      log: state.log.slice(),
    };
  },
  // Per peer: inbound video frames decoded and audio packets received (RTCPeerConnection.getStats).
  async stats() {
    const result = {};
    for (const peer of state.peers.values()) {
      const entry = { framesDecoded: 0, audioPacketsReceived: 0 };
      (await peer.pc.getStats()).forEach((report) => {
        if (report.type !== 'inbound-rtp') return;
        if (report.kind === 'video') entry.framesDecoded += report.framesDecoded ?? 0;
        if (report.kind === 'audio') entry.audioPacketsReceived += report.packetsReceived ?? 0;
      });
      result[peer.userId] = entry;
    }
    return result;
  },
};

$('room').value = params.get('room') || 'demo';
$('name').value = params.get('name') || `guest-${Math.floor(Math.random() * 9000 + 1000)}`;
render();
if (params.get('autojoin')) join($('room').value, $('name').value);
