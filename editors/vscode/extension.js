// Starts `leaklint server` for Python files; the server registers its own file watchers.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("leaklint").get("command");
  client = new LanguageClient(
    "leaklint",
    "leaklint",
    { command, args, transport: TransportKind.stdio },
    { documentSelector: [{ scheme: "file", language: "python" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
