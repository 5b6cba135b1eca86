/**
 * `StyleTune: Blind Human-likeness Vote` on a JSONL of vote items (or generate outputs; several files
 * selected in the Explorer are one session), and `StyleTune: Show Vote Report` on votes files and/or
 * items files. Both return what they show, for tests (executeCommand passes it through).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { isRestoreState, type ReportView } from '../../../webview/votes/protocol';
import { commandTargets } from '../targets';
import { itemsBeside, REPORT_VIEW_TYPE, ReportPanel } from './reportPanel';
import { VOTE_VIEW_TYPE, VoteSession, type VoteSessionInfo } from './session';
import type { VotesServices } from './shared';

const isVotesFile = (u: vscode.Uri) => /\.votes\.jsonl$/i.test(u.fsPath);

export function registerVotes(context: vscode.ExtensionContext, s: VotesServices): void {
  const report = (votes: vscode.Uri[], items: vscode.Uri[]) => ReportPanel.show(s, votes, items);
  context.subscriptions.push(
    // After a window reload VS Code hands back the panels with the state their webviews kept: only a
    // well-formed one names files to open again.
    vscode.window.registerWebviewPanelSerializer(VOTE_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (isRestoreState(state) && state.kind === 'vote') VoteSession.revive(s, panel, state.items.map((u) => vscode.Uri.parse(u)), report);
        else panel.dispose();
      },
    }),
    vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        if (isRestoreState(state) && state.kind === 'report') ReportPanel.revive(s, panel, state.votes.map((u) => vscode.Uri.parse(u)), state.items.map((u) => vscode.Uri.parse(u)));
        else panel.dispose();
      },
    }),
    vscode.commands.registerCommand('styletune.blindVote', async (target?: unknown, targets?: unknown): Promise<VoteSessionInfo | undefined> => {
      const uris = commandTargets(target, targets);
      if (!uris.length) {
        void vscode.window.showWarningMessage('Open or select a JSONL file of vote items ({"prompt", "responses": {system: text, …}}) or generate outputs to vote on.');
        return undefined;
      }
      if (uris.some(isVotesFile)) {
        void vscode.window.showWarningMessage('That is a votes file: vote on the items file beside it, or use "StyleTune: Show Vote Report".');
        return undefined;
      }
      try {
        return await VoteSession.show(s, uris, report);
      } catch (err) {
        s.log.error(`Blind vote: ${(err as Error).stack ?? err}`);
        void vscode.window.showErrorMessage(`Blind vote: ${(err as Error).message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('styletune.voteReport', async (target?: unknown, targets?: unknown): Promise<ReportView | undefined> => {
      const uris = commandTargets(target, targets);
      let votes = uris.filter(isVotesFile);
      let items = uris.filter((u) => !isVotesFile(u));
      if (!votes.length) votes = items.map((u) => vscode.Uri.file(u.fsPath.replace(/(\.jsonl)?$/i, '.votes.jsonl'))).filter((u) => existsSync(u.fsPath));
      if (!items.length) items = unique(votes.map(itemsBeside).filter((u): u is vscode.Uri => u !== undefined));
      if (!votes.length) {
        void vscode.window.showWarningMessage(
          uris.length ? 'No votes yet for this file: vote first with "StyleTune: Blind Human-likeness Vote".' : 'Open or select a votes file (*.votes.jsonl) to see its report.',
        );
        return undefined;
      }
      try {
        return await report(votes, items);
      } catch (err) {
        void vscode.window.showErrorMessage(`Vote report: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}

function unique(uris: vscode.Uri[]): vscode.Uri[] {
  const seen = new Set<string>();
  return uris.filter((u) => !seen.has(u.toString()) && seen.add(u.toString()));
}
