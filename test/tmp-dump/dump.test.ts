import fs from 'node:fs';
import { ADMIN, startTestApp, stopTestApp } from '../helpers/app';
import { Q, resultsScenario } from '../helpers/results-fixtures';
import { signIn } from '../helpers/web';
test('dump', async () => {
  const app = await startTestApp();
  const { b1 } = await resultsScenario();
  const a = await signIn(app, ADMIN.email, ADMIN.password, 'en');
  fs.writeFileSync('/tmp/res-bank.html', (await a.get(`/results?bankId=${b1.bankId}&quarter=${Q}`)).text);
  fs.writeFileSync('/tmp/res-branch.html', (await a.get(`/results?bankId=${b1.bankId}&quarter=${Q}&branchCode=E3`)).text);
  fs.writeFileSync('/tmp/res-overview.html', (await a.get(`/admin/overview?quarter=${Q}`)).text);
  const z = await signIn(app, ADMIN.email, ADMIN.password, 'zh');
  fs.writeFileSync('/tmp/res-bank-zh.html', (await z.get(`/results?bankId=${b1.bankId}&quarter=${Q}`)).text);
  await stopTestApp();
});
