// 党建助手 simulator: plays WeCom's part in the browser. Every message is
// built as WeCom's XML, encrypted (AES-256-CBC, PKCS#7 to 32 bytes) and
// signed (SHA-1 over token, timestamp, nonce, ciphertext) with the
// credentials of the sender's company's app, then posted to that app's
// callback path (a 联合党委 spans two companies here, each with its own
// WeCom). Passive replies are verified and decrypted the same way. Pushed
// messages come from the fake qyapi APIs, which record what the bot sent.
"use strict";

const JOB_LABELS = {
  "checkin-reminder": "签到提醒（工作日）",
  "study-reminder": "学习提醒（未达标者）",
  "weekly-summary": "周报 + 签到图",
  "obligations": "三会一课进度提醒",
  "monthly": "月初：党费、主题党日",
  "announce-reminder": "公告催确认、活动前一天提醒",
  "dues-reminder": "党费收缴日提醒（未交者）",
  "lifecycle": "转正提醒、政治生日",
  "development": "发展党员期限、思想汇报提醒",
  "transfers": "组织关系转出提醒",
  "year-cycle": "整改到期提醒、谈心建议",
  "review-reminder": "民主评议截止提醒",
  "makeup": "补学：请假结束后补发、一周后提醒",
};
const CHIPS = ["签到", "我的", "学习 党章第一章 30分钟 有收获", "帮助", "撤回", "会议 党员大会 十一月党员大会",
  "结束会议", "本周", "进度", "请假 明天 体检", "名单", "公告 周五下午三点党员大会\n请准时参加。", "活动 志愿服务 明天 14:00 阳光社区 名额 2",
  "发送", "收到", "报名", "公告状态", "纪要 地点：三楼会议室\n议题：学习党章", "导出 本月", "党费", "党费 已交", "预警",
  "发展 进度", "入党进度", "思想汇报 这个季度重温了党章，对“全心全意为人民服务”有了新的体会。",
  "谈心 @liming 聊聊学习计划", "谈心 覆盖", "整改 @liming 补齐学习笔记 截止 12-31", "整改",
  "民主评议 开始", "自评 按时参加组织生活，学习还不够系统", "测评 @liming 合格", "我的评议",
  "组织生活会 方案 对照党章党规找差距", "意见 希望多组织专题学习", "检查材料 理论学习不够系统", "组织生活会 进度",
  "补学 认真看了纪要，收获很大", "学习材料 纪律处分条例 https://www.12371.cn/ 必学 学时 2", "已学 条例很重要", "学习材料 状态",
  "主题党日 计划 学习纪律处分条例", "主题党日", "成绩单"];

const state = { session: null, corps: {}, members: {}, user: "", logs: {}, since: 0, psince: 0, seq: 0 };
const $ = (id) => document.getElementById(id);
const utf8 = new TextEncoder();

// --- crypto -----------------------------------------------------------------

function b64decode(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function b64encode(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

async function importKey(encodingAESKey) {
  const raw = b64decode(encodingAESKey + "=");
  const key = await crypto.subtle.importKey("raw", raw, "AES-CBC", false, ["encrypt", "decrypt"]);
  return { raw, key, iv: raw.slice(0, 16) };
}

// encrypt lays out random(16) | length(4, big-endian) | msg | receiveid,
// pads to a multiple of 32 and encrypts. WebCrypto always adds its own
// 16-byte padding block; CBC lets us drop that last block.
async function encrypt(k, msg, receiveID) {
  const body = utf8.encode(msg);
  const rid = utf8.encode(receiveID);
  const len = 20 + body.length + rid.length;
  const pad = 32 - (len % 32);
  const plain = new Uint8Array(len + pad);
  plain.set(crypto.getRandomValues(new Uint8Array(16)), 0);
  new DataView(plain.buffer).setUint32(16, body.length);
  plain.set(body, 20);
  plain.set(rid, 20 + body.length);
  plain.fill(pad, len);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: k.iv }, k.key, plain));
  return b64encode(sealed.subarray(0, plain.length));
}

// decrypt appends one block that decrypts to sixteen 0x10 bytes, so that
// WebCrypto's PKCS#7 check passes, then strips WeCom's 32-byte padding.
async function decrypt(k, b64) {
  const sealed = b64decode(b64);
  const last = sealed.subarray(sealed.length - 16);
  const x = last.map((b) => b ^ 16);
  const extra = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, k.key, x)).subarray(0, 16);
  const full = new Uint8Array(sealed.length + 16);
  full.set(sealed);
  full.set(extra, sealed.length);
  const plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: k.iv }, k.key, full));
  const body = plain.subarray(0, plain.length - plain[plain.length - 1]);
  const n = new DataView(body.buffer, body.byteOffset).getUint32(16);
  return new TextDecoder().decode(body.subarray(20, 20 + n));
}

async function sign(token, timestamp, nonce, encrypted) {
  const joined = [token, timestamp, nonce, encrypted].sort().join("");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", utf8.encode(joined)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- WeCom messages ---------------------------------------------------------

function cdata(s) {
  return "<![CDATA[" + String(s).replaceAll("]]>", "]]]]><![CDATA[>") + "]]>";
}

// corp is the app of the current member's company: a member of another
// company is "partner/userid" to the bot and plain "userid" to their WeCom.
function corp() {
  const m = state.members[state.user];
  return state.corps[m ? m.corp : ""];
}

function envelope(fields) {
  const s = corp();
  const m = state.members[state.user];
  const from = m && m.corp ? state.user.slice(m.corp.length + 1) : state.user;
  let xml = "<xml><ToUserName>" + cdata(s.corp_id) + "</ToUserName><FromUserName>" + cdata(from) + "</FromUserName>" +
    "<CreateTime>" + Math.floor(Date.now() / 1000) + "</CreateTime>";
  for (const [k, v] of fields) {
    xml += typeof v === "number" ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`;
  }
  return xml + "<AgentID>" + s.agent_id + "</AgentID></xml>";
}

function msgID() {
  state.seq += 1;
  return String(Date.now()) + String(state.seq).padStart(6, "0");
}

const textXML = (content) => envelope([["MsgType", "text"], ["Content", content], ["MsgId", msgID()]]);
const locationXML = () => envelope([["MsgType", "location"], ["Location_X", 39.9087], ["Location_Y", 116.3975],
  ["Scale", 15], ["Label", "北京市东城区"], ["MsgId", msgID()]]);
const cardClickXML = (key, taskID) => envelope([["MsgType", "event"], ["Event", "template_card_event"], ["EventKey", key],
  ["TaskId", taskID], ["CardType", "button_interaction"], ["ResponseCode", "demo-" + msgID()]]);

// post sends one signed, encrypted callback and opens the passive reply.
async function post(plainXML) {
  const s = corp();
  const encrypted = await encrypt(s.key, plainXML, s.corp_id);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const signature = await sign(s.token, timestamp, nonce, encrypted);
  const body = "<xml><ToUserName>" + cdata(s.corp_id) + "</ToUserName><Encrypt>" + cdata(encrypted) +
    "</Encrypt><AgentID>" + cdata(s.agent_id) + "</AgentID></xml>";
  const url = s.callback + "?" + new URLSearchParams({ msg_signature: signature, timestamp, nonce });
  const resp = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/xml" } });
  const text = await resp.text();
  if (!resp.ok) {
    throw new Error(`回调返回 ${resp.status}：${text.trim()}`);
  }
  if (!text) {
    return null;
  }
  const doc = new DOMParser().parseFromString(text, "application/xml");
  const get = (d, tag) => (d.getElementsByTagName(tag)[0] || {}).textContent || "";
  const enc = get(doc, "Encrypt");
  const expected = await sign(s.token, get(doc, "TimeStamp"), get(doc, "Nonce"), enc);
  if (expected !== get(doc, "MsgSignature")) {
    throw new Error("被动回复签名校验失败");
  }
  const reply = new DOMParser().parseFromString(await decrypt(s.key, enc), "application/xml");
  return { type: get(reply, "MsgType"), text: get(reply, "Content"), button: get(reply, "ReplaceName") };
}

// --- rendering --------------------------------------------------------------

function escapeHTML(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// markdown renders the subset WeCom shows: **bold**, > quotes, <font color>.
function markdown(src) {
  return src.split("\n").map((line) => {
    let html = escapeHTML(line)
      .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
      .replace(/&lt;font color=&quot;(info|warning|comment)&quot;&gt;(.*?)&lt;\/font&gt;/g, '<span class="font-$1">$2</span>');
    return line.startsWith("> ") ? "<blockquote>" + html.slice(5) + "</blockquote>" : html;
  }).join("\n");
}

function log(user) {
  state.logs[user] = state.logs[user] || [];
  return state.logs[user];
}

function add(user, entry) {
  log(user).push(entry);
  if (user === state.user) {
    render();
  }
}

function bubble(entry) {
  const el = document.createElement("div");
  el.className = "bubble " + entry.kind;
  if (entry.tag) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = entry.tag;
    el.appendChild(tag);
  }
  const body = document.createElement("div");
  if (entry.card) {
    const c = entry.card;
    el.classList.add("card");
    body.innerHTML = `<div class="card-title">${escapeHTML(c.main_title.title)}</div>` +
      `<div class="card-desc">${escapeHTML(c.main_title.desc || "")}</div>` +
      (c.sub_title_text ? `<div class="card-sub">${escapeHTML(c.sub_title_text)}</div>` : "");
    for (const b of c.button_list || []) {
      // As in WeCom: once one button is pressed, the card's buttons are done;
      // the pressed one shows the bot's new label.
      const btn = document.createElement("button");
      btn.dataset.key = b.key;
      btn.textContent = entry.pressedKey === b.key ? entry.pressed : b.text;
      btn.disabled = Boolean(entry.pressed);
      if (b.style === 2) {
        btn.classList.add("secondary");
      }
      btn.addEventListener("click", () => clickCard(entry, b.key, c.task_id));
      body.appendChild(btn);
    }
  } else if (entry.image) {
    body.innerHTML = `<img alt="本周签到图" src="${entry.image}">`;
  } else if (entry.file) {
    const a = document.createElement("a");
    a.href = entry.file;
    a.textContent = entry.text;
    body.appendChild(a);
  } else if (entry.markdown) {
    body.innerHTML = markdown(entry.text);
  } else {
    body.textContent = entry.text;
  }
  el.appendChild(body);
  return el;
}

function render() {
  const chat = $("chat");
  chat.replaceChildren(...log(state.user).map(bubble));
  chat.scrollTop = chat.scrollHeight;
}

// --- actions ----------------------------------------------------------------

async function send(text, plainXML) {
  const user = state.user;
  if (user === state.session.chat.id) {
    add(user, { kind: "error", text: "群聊只收消息。请选择一位党员。" });
    return;
  }
  add(user, { kind: "me", text });
  try {
    const reply = await post(plainXML);
    if (reply && reply.text) {
      add(user, { kind: "bot", text: reply.text });
    }
  } catch (err) {
    add(user, { kind: "error", text: err.message });
  }
}

async function clickCard(entry, key, taskID) {
  try {
    const reply = await post(cardClickXML(key, taskID));
    entry.pressed = reply && reply.button ? reply.button : "已点击";
    entry.pressedKey = key;
    render();
  } catch (err) {
    add(state.user, { kind: "error", text: err.message });
  }
}

async function poll() {
  try {
    const resp = await fetch("/demo/api/pushed?" + new URLSearchParams({ since: state.since, psince: state.psince }));
    const data = await resp.json();
    state.since = data.next;
    state.psince = data.pnext;
    for (const m of data.messages) {
      const entry = { kind: "push", tag: m.via === "robot" ? "群机器人" : m.type === "markdown" ? "推送 · markdown" : "推送" };
      if (m.type === "template_card") {
        entry.card = m.card;
      } else if (m.type === "image") {
        entry.image = m.image_url;
      } else if (m.type === "file") {
        entry.text = m.text;
        entry.file = m.file_url;
      } else {
        entry.text = m.text;
        entry.markdown = m.type === "markdown";
      }
      for (const user of m.chat ? [m.chat] : m.to) {
        add(user, { ...entry });
      }
    }
    $("status").textContent = "";
  } catch (err) {
    $("status").textContent = "推送轮询失败：" + err.message;
  }
  setTimeout(poll, 1000);
}

async function runJob(name) {
  const resp = await fetch("/demo/api/jobs/" + name, { method: "POST" });
  $("status").textContent = resp.ok ? `已触发 ${JOB_LABELS[name] || name}，消息稍后出现在收件人的对话里。` :
    `触发失败：${await resp.text()}`;
}

// fitInput grows the composer with its lines, up to its CSS max-height;
// empty, it is one row again.
function fitInput() {
  const input = $("input");
  input.style.height = "";
  if (input.value) {
    input.style.height = input.scrollHeight + 2 + "px"; // + the borders
  }
}

async function main() {
  const s = await (await fetch("/demo/api/session")).json();
  state.session = s;
  for (const c of s.corps) {
    state.corps[c.id] = { ...c, key: await importKey(c.aes_key) };
  }
  $("callback").textContent = s.corps.map((c) => c.callback).join("、");
  const select = $("member");
  // One group per branch; a member of the other company says which.
  for (const b of s.branches) {
    const group = document.createElement("optgroup");
    group.label = b.name;
    for (const m of s.members.filter((x) => x.branch === b.id)) {
      state.members[m.userid] = m;
      const company = m.corp ? ` · ${m.company}` : "";
      group.appendChild(new Option(`${m.name}（${m.role}${company}）`, m.userid));
    }
    select.appendChild(group);
  }
  select.add(new Option(s.chat.name, s.chat.id));
  state.user = select.value;
  select.addEventListener("change", () => { state.user = select.value; render(); });
  for (const c of CHIPS) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = c;
    b.addEventListener("click", () => send(c, textXML(c)));
    $("chips").appendChild(b);
  }
  for (const name of s.jobs) {
    const b = document.createElement("button");
    b.textContent = "▶ " + (JOB_LABELS[name] || name);
    b.dataset.job = name;
    b.addEventListener("click", () => runJob(name));
    $("jobs").appendChild(b);
  }
  const input = $("input");
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (text) {
      input.value = "";
      fitInput();
      send(text, textXML(text));
    }
  });
  // As in WeCom on a computer: Enter sends, Shift+Enter starts a new line
  // (公告 and 纪要 take several). An Enter that picks a 拼音 candidate
  // belongs to the input method, not to us.
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      $("composer").requestSubmit();
    }
  });
  input.addEventListener("input", fitInput);
  $("location").addEventListener("click", () => send("📍 北京市东城区", locationXML()));
  document.body.dataset.ready = "true";
  poll();
}

main().catch((err) => { $("status").textContent = "加载失败：" + err.message; });
