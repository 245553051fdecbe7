// settings.js: Storage > Settings. Access (generate, rotate, delete the S3
// key pair), Access endpoint (endpoint, region, AWS CLI and boto3 snippets)
// and Usage (object storage with quota indicators, block storage volumes,
// usage over time as a chart).
import { api } from './api.js';
import {
  h, clear, loading, errorBox, busy, fmtBytes, fmtNumber, fmtDate, announce,
  copyField, copyButton, confirmDialog, quotaMeter,
} from './dom.js';
import { storageHeader } from './storage.js';
import { UPLOADS_NOTE } from './uploads.js';
import { usageHistory } from './usage-history.js';
import { showBanners } from './banners.js';
import { accountSections } from './account.js';

const SECRET_PLACEHOLDER = '<your-secret-key>';
const ACCESS_PLACEHOLDER = '<your-access-key>';
// PROFILE is the AWS CLI profile the snippets configure; NEW_CONTAINER the
// container they create when the tenant has none.
const PROFILE = 'my-storage';
const NEW_CONTAINER = 'my-container';

export function render(main, ctx) {
  ctx.setTitle('Settings · Shared Storage');
  // fresh holds a just-generated key pair. It lives only in this closure: it
  // is dropped when the user leaves the page, and never stored anywhere.
  let fresh = null;
  let cred = null; // {accessKey, created, lastUsed} or null when none
  let endpoint = '';
  let vhostDomain = '';
  let region = 'us-east-1';

  const accessBody = h('div', {}, loading('Loading credentials…'));
  const endpointBody = h('div', {}, loading('Loading endpoint…'));
  const usageBody = h('div', {}, loading('Loading usage…'));
  const refresh = h('button', { type: 'button', class: 'btn' }, 'Refresh usage');
  const history = usageHistory({ id: 'usage-history', path: '/api/usage/history', alive: ctx.alive });

  clear(main, storageHeader('settings'),
    h('section', { class: 'panel', 'aria-labelledby': 'access-h' },
      h('h2', { id: 'access-h' }, 'Access'),
      h('p', { class: 'muted' }, 'One S3 key pair (access key and secret key) per tenant, for use with any S3 client.'),
      accessBody),
    h('section', { class: 'panel', 'aria-labelledby': 'endpoint-h' },
      h('h2', { id: 'endpoint-h' }, 'Access endpoint'),
      endpointBody),
    h('section', { class: 'panel', 'aria-labelledby': 'usage-h' },
      h('div', { class: 'page-head' }, h('h2', { id: 'usage-h' }, 'Usage'), refresh),
      usageBody,
      h('h3', { id: 'usage-history-h' }, 'Usage over time'),
      history),
    accountSections(ctx));

  // Access.
  function renderAccess() {
    if (!cred && !fresh) {
      const gen = h('button', { type: 'button', class: 'btn btn-primary' }, 'Generate Credentials');
      const err = h('div', {});
      gen.addEventListener('click', async () => {
        clear(err);
        try {
          fresh = await busy(gen, 'Generating…', () => api('POST', '/api/credentials'));
          cred = { accessKey: fresh.accessKey, created: fresh.created };
          renderAccess();
          announce('Credentials generated. Copy both keys now.');
          document.getElementById('secret-key')?.focus();
        } catch (ex) {
          clear(err, errorBox(ex));
          if (ex.status === 409) loadAccess();
        }
      });
      clear(accessBody,
        h('p', {}, 'No credentials yet. Generate a key pair to use S3 clients; until then, S3 access is off.'),
        err, gen);
      renderEndpoint();
      return;
    }
    const rotate = h('button', { type: 'button', class: 'btn' }, 'Rotate');
    const del = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete');
    rotate.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: 'Rotate credentials?',
        body: [
          h('p', {}, 'Rotating replaces the existing key pair immediately. Any client using the old secret key will lose access at once.'),
          h('p', {}, 'The new secret key is shown once, on this page.'),
        ],
        confirmLabel: 'Rotate',
        danger: true,
        action: async () => { fresh = await api('POST', '/api/credentials/rotate'); },
      });
      if (ok) {
        cred = { accessKey: fresh.accessKey, created: fresh.created };
        renderAccess();
        announce('Credentials rotated. Copy and save the new key pair now.');
        document.getElementById('secret-key')?.focus();
      } else if (rotate.isConnected) {
        rotate.focus();
      }
    });
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: 'Delete credentials?',
        body: h('p', {}, 'Deleting revokes all S3 access until new credentials are generated.'),
        confirmLabel: 'Delete',
        danger: true,
        action: () => api('DELETE', '/api/credentials'),
      });
      if (ok) {
        fresh = null;
        cred = null;
        renderAccess();
        announce('Credentials deleted. S3 access is revoked.');
      } else if (del.isConnected) {
        del.focus();
      }
    });

    const parts = [];
    if (fresh) {
      parts.push(
        h('div', { class: 'alert alert-warn', role: 'alert' },
          h('strong', {}, 'Copy both keys now. '),
          'The secret key is not shown again after you leave the page.'),
        copyField('access-key', 'Access key', fresh.accessKey),
        copyField('secret-key', 'Secret key', fresh.secretKey));
    } else {
      parts.push(
        copyField('access-key', 'Access key', cred.accessKey),
        h('dl', { class: 'kv' },
          h('dt', {}, 'Secret key'),
          h('dd', { id: 'secret-hidden' }, 'Hidden. It was shown only once, when the key pair was generated. Rotate to get a new key pair.')));
    }
    parts.push(h('dl', { class: 'kv small' },
      h('dt', {}, 'Created'), h('dd', {}, fmtDate(cred.created)),
      h('dt', {}, 'Last used'), h('dd', {}, fmtDate(cred.lastUsed))));
    parts.push(h('div', { class: 'actions' }, rotate, del));
    clear(accessBody, parts);
    renderEndpoint();
  }

  async function loadAccess() {
    try {
      // optional=true: no key pair yet is 200 null, not a 404 the browser logs.
      cred = await api('GET', '/api/credentials?optional=true');
    } catch (err) {
      if (ctx.alive()) clear(accessBody, errorBox(err), h('button', { type: 'button', class: 'btn', onclick: loadAccess }, 'Try again'));
      return;
    }
    if (ctx.alive()) renderAccess();
  }

  // Access endpoint and client snippets. They run as pasted: the tenant's
  // real container (or an "aws s3 mb" line first when there is none), the
  // endpoint as served (http or https), and the addressing style that works.
  let endpointLoaded = false;
  let containers = null; // names, or null when the list could not be read
  let snippetContainer = '';
  function renderEndpoint() {
    if (!endpointLoaded) return;
    const ak = (fresh && fresh.accessKey) || (cred && cred.accessKey) || ACCESS_PLACEHOLDER;
    const sk = (fresh && fresh.secretKey) || '';
    const ep = endpoint || 'https://<your-endpoint>';
    const style = addressingStyle(ep, vhostDomain);
    const have = containers && containers.length > 0;
    if (have && !containers.includes(snippetContainer)) [snippetContainer] = containers;
    const bucket = have ? snippetContainer : NEW_CONTAINER;
    const cli = cliSnippet({ ak, sk, ep, region, style, bucket, create: !have });
    const py = boto3Snippet({ ak, sk: sk || SECRET_PLACEHOLDER, ep, region, style, bucket, create: !have });
    const snippet = (id, label, text) => h('div', { class: 'snippet' },
      h('pre', { id, tabindex: '0', 'aria-label': `${label} snippet` }, h('code', {}, text)),
      copyButton(`Copy ${label} snippet`, () => text));
    let picker = null;
    if (have && containers.length > 1) {
      picker = h('select', { id: 'snippet-container' },
        containers.map((n) => h('option', { value: n, selected: n === snippetContainer }, n)));
      picker.addEventListener('change', () => {
        snippetContainer = picker.value;
        renderEndpoint();
        document.getElementById('snippet-container')?.focus();
      });
    }
    clear(endpointBody,
      endpoint ? copyField('endpoint-url', 'Endpoint URL', endpoint)
        : h('p', { class: 'alert alert-warn' }, 'The operator has not configured a public S3 endpoint.'),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Region'), h('dd', { id: 'region' }, region)),
      h('p', { class: 'muted small' }, `The region is always ${region} regardless of geographic location.`),
      addressingView(ep, vhostDomain),
      picker ? h('div', { class: 'field' }, h('label', { for: 'snippet-container' }, 'Container in the snippets'), picker) : null,
      h('h3', {}, 'AWS CLI'),
      h('p', { class: 'muted small', id: 'snippet-cli-note' }, have
        ? `Paste into a shell: it sets up the profile ${PROFILE}, then writes, lists and reads hello.txt in ${bucket}.`
        : `Paste into a shell: it sets up the profile ${PROFILE}, creates the container ${bucket}, then writes, lists and reads hello.txt in it.`),
      snippet('snippet-cli', 'AWS CLI', cli),
      h('h3', {}, 'Python (boto3)'),
      snippet('snippet-boto3', 'boto3', py),
      !sk
        ? h('p', { class: 'muted small' }, `The secret key is shown only when the key pair is generated. The AWS CLI snippet assumes the profile already has it; the boto3 snippet needs it in place of ${SECRET_PLACEHOLDER}.`)
        : null);
  }

  async function loadEndpoint() {
    try {
      const [s, list] = await Promise.all([
        api('GET', '/api/settings'),
        api('GET', '/api/containers').catch(() => null),
      ]);
      endpoint = (s && s.endpoint) || '';
      region = (s && s.region) || 'us-east-1';
      vhostDomain = (s && s.virtualHostDomain) || '';
      containers = list && list.containers ? list.containers.map((c) => c.name).sort() : null;
      endpointLoaded = true;
      if (ctx.alive()) renderEndpoint();
    } catch (err) {
      if (ctx.alive()) clear(endpointBody, errorBox(err), h('button', { type: 'button', class: 'btn', onclick: loadEndpoint }, 'Try again'));
    }
  }

  // Usage.
  async function loadUsage() {
    usageBody.setAttribute('aria-busy', 'true');
    try {
      const u = await busy(refresh, 'Refreshing…', () => api('GET', '/api/usage'));
      if (ctx.alive()) {
        clear(usageBody, usageView(u || {}));
        showBanners(u || {});
      }
    } catch (err) {
      if (ctx.alive()) clear(usageBody, errorBox(err));
    } finally {
      usageBody.removeAttribute('aria-busy');
    }
  }
  refresh.addEventListener('click', () => { loadUsage(); history.reload(); });

  loadAccess();
  loadEndpoint();
  loadUsage();
  return () => { fresh = null; };
}

// uploadsNote explains the bytes unfinished uploads hold: they are part of
// "Bytes stored" and of the byte quota until completed or aborted.
function uploadsNote(u) {
  const n = Number(u.uploads) || 0;
  if (!n) return h('div', { class: 'muted small', id: 'usage-uploads-note' }, 'None. Uploads that are started but never completed or aborted would show here.');
  return h('div', { class: 'muted small', id: 'usage-uploads-note', 'data-upload-bytes': String(u.uploadBytes || 0) },
    `${fmtNumber(n)} unfinished ${n === 1 ? 'upload holds' : 'uploads hold'} ${fmtBytes(u.uploadBytes)} (included in Bytes stored). ${UPLOADS_NOTE} `,
    h('a', { href: '#/storage' }, 'See them per container'), '.');
}

// usageView renders the tenant's object and block storage usage.
function usageView(u) {
  const quota = u.quota || {};
  const volumes = u.volumes || [];
  return [
    h('div', { class: 'usage-grid' },
      h('section', { 'aria-labelledby': 'usage-object-h', id: 'usage-object' },
        h('h3', { id: 'usage-object-h' }, 'Object Storage'),
        h('div', { class: 'stat' },
          h('div', { class: 'muted small' }, 'Total objects across all containers'),
          h('div', { class: 'value', id: 'usage-objects' }, fmtNumber(u.objects))),
        quotaMeter({ label: 'Object quota', used: u.objects, limit: quota.objects, format: fmtNumber, unit: 'objects' }),
        h('div', { class: 'stat' },
          h('div', { class: 'muted small' }, 'Bytes stored'),
          h('div', { class: 'value', id: 'usage-bytes', 'data-bytes': String(u.bytes || 0) }, fmtBytes(u.bytes)),
          h('div', { class: 'muted small' }, `${fmtNumber(u.bytes)} bytes in ${fmtNumber(u.containers)} ${Number(u.containers) === 1 ? 'container' : 'containers'}`),
          Number(u.noncurrentObjects) > 0
            ? h('div', { class: 'muted small', id: 'usage-noncurrent', 'data-bytes': String(u.noncurrentBytes || 0) },
              `Of these, ${fmtBytes(u.noncurrentBytes)} in ${fmtNumber(u.noncurrentObjects)} noncurrent ${Number(u.noncurrentObjects) === 1 ? 'version' : 'versions'} kept by versioning; they count toward your quota until deleted by version id.`)
            : null),
        quotaMeter({ label: 'Byte quota', used: u.bytes, limit: quota.bytes, format: fmtBytes }),
        h('div', { class: 'stat' },
          h('div', { class: 'muted small' }, 'Containers'),
          h('div', { class: 'value', id: 'usage-containers' }, fmtNumber(u.containers))),
        quotaMeter({ label: 'Container limit', used: u.containers, limit: u.containerLimit, format: fmtNumber, unit: 'containers', refused: 'new containers are refused' }),
        h('div', { class: 'stat' },
          h('div', { class: 'muted small' }, 'Unfinished multipart uploads'),
          h('div', { class: 'value', id: 'usage-uploads' }, fmtNumber(u.uploads)),
          uploadsNote(u)),
        quotaMeter({ label: 'Upload limit', used: u.uploads, limit: u.uploadLimit, format: fmtNumber, unit: 'uploads', refused: 'new multipart uploads are refused until some are completed or aborted' })),
      h('section', { 'aria-labelledby': 'usage-block-h', id: 'usage-block' },
        h('h3', { id: 'usage-block-h' }, 'Block Storage'),
        volumes.length === 0
          ? h('p', { class: 'empty' }, 'No block storage volumes are attached to your tenant\'s servers.')
          : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
            h('caption', { class: 'sr-only' }, 'Block storage volumes'),
            h('thead', {}, h('tr', {},
              h('th', { scope: 'col' }, 'Volume'),
              h('th', { scope: 'col', class: 'num' }, 'Size'),
              h('th', { scope: 'col' }, 'Attached server'))),
            h('tbody', {}, volumes.map((v) => h('tr', {},
              h('th', { scope: 'row', class: 'mono' }, v.name),
              h('td', { class: 'num', 'data-label': 'Size', title: `${fmtNumber(v.sizeBytes)} bytes` }, fmtBytes(v.sizeBytes)),
              h('td', { 'data-label': 'Attached server' }, v.server || h('span', { class: 'muted' }, 'not attached')))))),
          h('p', { class: 'muted small' }, `${volumes.length} ${volumes.length === 1 ? 'volume' : 'volumes'}, ${fmtBytes(volumes.reduce((s, v) => s + (Number(v.sizeBytes) || 0), 0))} in total.`))),
    ),
  ];
}

// addressingStyle is the S3 addressing style the snippets set: virtual-hosted
// when the endpoint's host is the server's virtual-host domain (the
// container becomes a subdomain of it), path style otherwise, and for
// localhost, whose subdomains many resolvers outside browsers do not know.
export function addressingStyle(ep, domain) {
  try {
    const host = new URL(ep).hostname;
    if (domain && host === domain && host !== 'localhost') return 'virtual';
  } catch (e) { /* placeholder endpoint */ }
  return 'path';
}

// cliSnippet is the AWS CLI snippet: "aws configure set" lines for the
// profile (the secret only while it is shown), then commands that touch no
// local file (stdin and stdout stand in for files), so it runs as pasted.
export function cliSnippet({ ak, sk, ep, region, style, bucket, create }) {
  const p = `--profile ${PROFILE}`;
  const lines = [
    `# Set up the profile ${PROFILE} (once).`,
    `aws configure set aws_access_key_id ${ak} ${p}`,
  ];
  if (sk) lines.push(`aws configure set aws_secret_access_key ${sk} ${p}`);
  else lines.push(`# The secret key was shown once, when generated; if this profile lacks it:`, `#   aws configure set aws_secret_access_key ${SECRET_PLACEHOLDER} ${p}`);
  lines.push(
    `aws configure set region ${region} ${p}`,
    `aws configure set endpoint_url ${ep} ${p}`,
    `aws configure set s3.addressing_style ${style} ${p}`,
    '',
    '# Use it.');
  if (create) lines.push(`aws s3 mb s3://${bucket} ${p}`);
  lines.push(
    `echo "hello from Coffer" | aws s3 cp - s3://${bucket}/hello.txt ${p}`,
    `aws s3 ls s3://${bucket}/ ${p}`,
    `aws s3 cp s3://${bucket}/hello.txt - ${p}`,
    '# With your own files:',
    `#   aws s3 cp myfile.txt s3://${bucket}/ ${p}`,
    `#   aws s3 sync ./data s3://${bucket}/data ${p}`);
  return lines.join('\n');
}

// boto3Snippet is the same in Python.
export function boto3Snippet({ ak, sk, ep, region, style, bucket, create }) {
  return [
    'import boto3',
    'from botocore.config import Config',
    `s3 = boto3.client("s3", endpoint_url="${ep}",`,
    `                  aws_access_key_id="${ak}",`,
    `                  aws_secret_access_key="${sk}",`,
    `                  region_name="${region}",`,
    `                  config=Config(s3={"addressing_style": "${style}"}))`,
    create ? `s3.create_bucket(Bucket="${bucket}")` : null,
    `s3.put_object(Bucket="${bucket}", Key="hello.txt", Body=b"hello from Coffer\\n")`,
    `response = s3.list_objects_v2(Bucket="${bucket}")`,
    'for obj in response.get("Contents", []):',
    '    print(obj["Key"])',
    `print(s3.get_object(Bucket="${bucket}", Key="hello.txt")["Body"].read().decode(), end="")`,
  ].filter((l) => l !== null).join('\n');
}

// addressingView says how clients name a container: path style always
// works; virtual-hosted style only under the server's domain. Clients that
// default to virtual-hosted style need the path-style setting otherwise.
function addressingView(ep, domain) {
  let scheme = 'https://';
  try { scheme = new URL(ep).protocol + '//'; } catch (e) { /* placeholder endpoint */ }
  return h('div', { id: 'addressing' },
    h('dl', { class: 'kv' },
      h('dt', {}, 'Addressing style'),
      h('dd', { id: 'addressing-style' }, domain
        ? `path style (${ep}/my-container/key) or virtual-hosted style (${scheme}my-container.${domain}/key)`
        : `path style only (${ep}/my-container/key)`)),
    h('p', { class: 'muted small', id: 'addressing-clients' }, domain
      ? 'Both work with the clients\' defaults. To force path style: '
      : 'Set your client to path style: ',
      h('code', {}, 'aws configure set s3.addressing_style path --profile my-storage'),
      '; boto3: ', h('code', {}, 'config=botocore.config.Config(s3={"addressing_style": "path"})'),
      '; rclone: ', h('code', {}, 'force_path_style = true'), '.'));
}
