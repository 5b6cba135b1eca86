import * as vscode from 'vscode';

/**
 * An information message whose buttons must not vanish unanswered. VS Code hides an information (or
 * warning) toast with buttons after 10 s while the window has focus; only errors with buttons and running
 * progress stay, and the extension API has no "sticky" flag (workbench notificationsToasts /
 * MainThreadMessageService, checked in code-server 4.139). So the message is also shown in the
 * notification center, opened for it: the center stays open until the user closes it (×, Escape or
 * the bell), and the message keeps its buttons there. The UI test fit: checks it is still there after
 * 13 s with the focus back in the editor. For the result of a run the user may not have watched (a fitted
 * model, built pairs): a message that only confirms what was just clicked stays a plain toast.
 */
export function showLastingMessage(message: string, ...items: string[]): Thenable<string | undefined> {
  const answer = vscode.window.showInformationMessage(message, ...items);
  // After the message: both go to the workbench in order, so the center opens with it in the list.
  void vscode.commands.executeCommand('notifications.showList');
  return answer;
}
