// The AI SDK's chat client, as useChat runs it (AbstractChat + DefaultChatTransport, no
// React), talking to a tracechat server. Prints, as one JSON document, what the client holds
// after each step.
//
// usage: node use_chat.mjs <ai5|ai6> <chat api url> <chat id> <step>...
//   a step is a question to send, or "!regenerate" to have the last answer redone
const [sdk, api, chatId, ...steps] = process.argv.slice(2);
const { AbstractChat, DefaultChatTransport } = await import(sdk);

// What React's or Vue's state would be: plain arrays, replaced on every change.
class PlainState {
  status = "ready";
  error = undefined;
  messages = [];
  pushMessage = (message) => {
    this.messages = [...this.messages, message];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index, message) => {
    this.messages = this.messages.map((old, i) => (i === index ? message : old));
  };
  snapshot = (thing) => structuredClone(thing);
}

let finishReason;
const chat = new AbstractChat({
  id: chatId,
  state: new PlainState(),
  transport: new DefaultChatTransport({ api }),
  onFinish: (finished) => {
    finishReason = finished.finishReason;
  },
});

const turns = [];
for (const step of steps) {
  finishReason = undefined;
  if (step === "!regenerate") {
    await chat.regenerate();
  } else {
    await chat.sendMessage({ text: step });
  }
  turns.push({ step, status: chat.status, error: chat.error?.message ?? null, finishReason, messages: chat.messages });
}
console.log(JSON.stringify({ sdk, turns }));
