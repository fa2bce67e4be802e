// The gateway's console: reads /console/api/* with the bearer token kept in sessionStorage, and
// draws with ECharts. Data reaches the page through textContent only, never through HTML.
(function () {
  'use strict';

  var TOKEN_KEY = 'freshet.gateway.token';
  var REFRESH_MS = 5000;
  var state = { catalog: null, view: null, charts: {}, timer: null };

  function $(id) { return document.getElementById(id); }

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'className') { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function headers(extra) {
    var h = extra || {};
    if (token()) { h.Authorization = 'Bearer ' + token(); }
    return h;
  }

  function status(text) { $('status').textContent = text || ''; }

  /** GETs or POSTs JSON; on 401 shows the token form and rejects. */
  function call(method, path, body) {
    var init = { method: method, headers: headers(body ? { 'Content-Type': 'application/json' } : {}) };
    if (body) { init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      if (r.status === 401) {
        $('token-form').hidden = false;
        status(token() ? 'the gateway refused this token' : 'the gateway asks for a bearer token');
        var e = new Error('unauthorized');
        e.unauthorized = true;
        throw e;
      }
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (ignored) { json = null; }
        return { status: r.status, json: json, text: text };
      });
    });
  }

  function api(path) {
    return call('GET', path).then(function (r) {
      if (r.status !== 200) {
        throw new Error(path + ' answered ' + r.status + (r.json && r.json.message ? ': ' + r.json.message : ''));
      }
      return r.json;
    });
  }

  // ---------------------------------------------------------------- formatting

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return '–'; }
    var s = Math.abs(seconds);
    var sign = seconds < 0 ? '-' : '';
    if (s < 60) { return sign + (s < 10 && s % 1 !== 0 ? s.toFixed(1) : Math.round(s)) + ' s'; }
    if (s < 3600) { return sign + Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s'; }
    if (s < 86400) { return sign + Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'; }
    return sign + Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
  }

  function shortTime(iso) {
    return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
  }

  function bound(le) {
    if (le < 60) { return '≤' + le + 's'; }
    if (le < 3600) { return '≤' + (le / 60) + 'm'; }
    if (le < 86400) { return '≤' + (le / 3600) + 'h'; }
    return '≤' + (le / 86400) + 'd';
  }

  function meta(dl, pairs) {
    clear(dl);
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === '') { return; }
      dl.appendChild(el('div', null, el('dt', null, p[0]), el('dd', null, String(p[1]))));
    });
  }

  function unavailable(node, part) {
    node.appendChild(el('p', { className: 'unavailable' }, 'unavailable: ' + part.reason));
  }

  // ---------------------------------------------------------------- catalog

  function loadCatalog() {
    return api('/console/api/catalog').then(function (catalog) {
      state.catalog = catalog;
      $('token-form').hidden = true;
      var flink = $('flink-link');
      if (typeof catalog.flink_rest === 'string' && /^https?:\/\//.test(catalog.flink_rest)) {
        flink.href = catalog.flink_rest;
        flink.hidden = false;
      } else {
        flink.hidden = true;
      }
      renderViews();
      renderServices();
      renderTargets();
      var names = catalog.views.map(function (v) { return v.name; });
      var wanted = decodeURIComponent(location.hash.replace(/^#/, ''));
      if (names.indexOf(wanted) >= 0) {
        select(wanted);
      } else if (state.view === null || names.indexOf(state.view) < 0) {
        if (names.length > 0) { select(names[0]); } else { $('view-title').textContent = 'No views served'; }
      } else {
        renderView();
      }
      status('catalog loaded ' + new Date(catalog.loaded_at).toLocaleTimeString());
    });
  }

  function viewOf(name) {
    var found = null;
    (state.catalog ? state.catalog.views : []).forEach(function (v) { if (v.name === name) { found = v; } });
    return found;
  }

  function renderViews() {
    var ul = $('views');
    clear(ul);
    state.catalog.views.forEach(function (v) {
      var li = el('li', { 'data-view': v.name }, v.name, el('span', { className: 'serving' }, v.serving.replace('_', ' ')));
      if (v.name === state.view) { li.className = 'selected'; }
      li.addEventListener('click', function () { select(v.name); });
      ul.appendChild(li);
    });
  }

  function renderServices() {
    var ul = $('services');
    clear(ul);
    state.catalog.services.forEach(function (s) {
      var fields = s.request_fields.map(function (f) { return f.name + ': ' + f.type; });
      var outputs = s.features.concat(s.on_demand.map(function (o) { return o.name + ' (on demand)'; }));
      ul.appendChild(el('li', { 'data-service': s.name }, s.name,
        el('span', { className: 'fields' }, outputs.join(', ')),
        fields.length ? el('span', { className: 'fields' }, 'request: ' + fields.join(', ')) : null));
    });
    if (state.catalog.services.length === 0) { ul.appendChild(el('li', { className: 'unavailable' }, 'none')); }
  }

  function select(name) {
    state.view = name;
    if (location.hash !== '#' + encodeURIComponent(name)) { history.replaceState(null, '', '#' + encodeURIComponent(name)); }
    Array.prototype.forEach.call($('views').children, function (li) {
      li.className = li.getAttribute('data-view') === name ? 'selected' : '';
    });
    renderView();
    var target = $('lookup-target');
    if (target.value.indexOf('view:') === 0 || !target.value) { target.value = 'view:' + name; renderFields(); }
    refreshView();
  }

  function renderView() {
    var v = viewOf(state.view);
    if (!v) { return; }
    $('view-title').textContent = v.name;
    meta($('view-meta'), [
      ['version', v.version],
      ['fingerprint', v.fingerprint.substring(0, 16) + '…'],
      ['serving', v.serving.replace('_', ' ') + (v.tile ? ', tiles of ' + v.tile : '')],
      ['slide', v.slide],
      ['entity key', v.entity_key.join(', ')],
      ['TTL', v.ttl_seconds === null ? 'none' : duration(v.ttl_seconds)],
      ['availability delay', duration(v.availability_delay_ms / 1000)],
      ['source', v.source]
    ]);
    var body = $('features-table').tBodies[0];
    clear(body);
    v.features.forEach(function (f) {
      body.appendChild(el('tr', { 'data-feature': f.name }, el('td', null, f.name), el('td', null, f.type),
        el('td', null, f.kind), el('td', null, f.window || ''),
        el('td', null, f.aggregation ? f.aggregation + (f.filter ? ' where ' + f.filter : '')
          : (f.expression || (f.column ? 'column ' + f.column : '')))));
    });
  }

  // ---------------------------------------------------------------- one view's health

  function refreshView() {
    var name = state.view;
    if (!name) { return Promise.resolve(); }
    return api('/console/api/views/' + encodeURIComponent(name)).then(function (h) {
      if (state.view !== name) { return; }
      renderFreshness(h.freshness);
      renderStaleness(h.staleness);
      renderRejected(h.rejected);
      renderJob(h.job);
    });
  }

  function renderFreshness(f) {
    var lag = $('lag');
    var facts = $('freshness-facts');
    clear(facts);
    var box = $('freshness');
    Array.prototype.slice.call(box.querySelectorAll('.unavailable')).forEach(function (n) { box.removeChild(n); });
    if (!f.available) {
      lag.textContent = '–';
      lag.className = '';
      unavailable(box, f);
      return;
    }
    lag.textContent = duration(f.lag_seconds);
    lag.className = f.lag_seconds === null ? '' : f.lag_seconds < 120 ? 'lag-ok' : f.lag_seconds < 3600 ? 'lag-warn' : 'lag-bad';
    meta(facts, [
      ['newest window/tile end', shortTime(f.newest_feature_ts)],
      ['newest commit', f.newest_commit_at ? shortTime(f.newest_commit_at) + ' (' + duration(f.commit_age_seconds) + ' ago)' : 'none yet'],
      ['rows in it', f.rows_in_newest_commit],
      ['offline table', f.table],
      ['note', f.note]
    ]);
  }

  function chart(id) {
    if (!window.echarts) { return null; }
    if (!state.charts[id]) { state.charts[id] = window.echarts.init($(id)); }
    return state.charts[id];
  }

  function renderStaleness(s) {
    $('staleness-summary').textContent = s.count === 0 ? '(none served yet)'
      : '(' + s.count + ' rows; p50 ≤ ' + duration(s.p50_seconds) + ', p99 ≤ ' + duration(s.p99_seconds) + ')';
    var labels = [];
    var counts = [];
    var previous = 0;
    s.buckets.forEach(function (b) {
      labels.push(bound(b.le_seconds));
      counts.push(b.count - previous);
      previous = b.count;
    });
    labels.push('more');
    counts.push(s.count - previous);
    var c = chart('staleness-chart');
    if (!c) { return; }
    c.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 10, bottom: 40 },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: 45, fontSize: 10 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: 'rows', data: counts, itemStyle: { color: '#1f6feb' } }]
    });
  }

  function renderRejected(r) {
    var samples = $('rejected-samples').tBodies[0];
    clear(samples);
    var card = $('rejected-chart').parentNode;
    Array.prototype.slice.call(card.querySelectorAll('.unavailable')).forEach(function (n) { card.removeChild(n); });
    var c = chart('rejected-chart');
    if (!r.available) {
      $('rejected-total').textContent = '–';
      if (c) { c.clear(); }
      var p = el('p', { className: 'unavailable' }, 'unavailable: ' + r.reason);
      card.insertBefore(p, $('rejected-chart'));
      return;
    }
    $('rejected-total').textContent = String(r.total);
    var names = r.by_reason.map(function (b) {
      var text = b.kind + ': ' + b.reason;
      return text.length > 48 ? text.substring(0, 47) + '…' : text;
    }).reverse();
    var counts = r.by_reason.map(function (b) { return b.count; }).reverse();
    if (c) {
      c.setOption({
        animation: false,
        grid: { left: 8, right: 20, top: 10, bottom: 20, containLabel: true },
        tooltip: { trigger: 'axis', renderMode: 'richText' },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', data: names, axisLabel: { fontSize: 10 } },
        series: [{ type: 'bar', name: 'events', data: counts, itemStyle: { color: '#cf222e' } }]
      }, true);
    }
    r.samples.forEach(function (s) {
      samples.appendChild(el('tr', null, el('td', null, shortTime(s.received_at)), el('td', null, s.kind),
        el('td', null, s.reason), el('td', null, s.origin), el('td', null, s.payload === null ? '' : s.payload)));
    });
    if (r.samples.length === 0) { samples.appendChild(el('tr', null, el('td', { colspan: '5', className: 'unavailable' }, 'no rejected events'))); }
  }

  function renderJob(job) {
    var badge = $('job-state');
    if (job === null) {
      badge.textContent = 'job: none computes this view';
      badge.className = 'badge';
      badge.title = '';
    } else if (!job.available) {
      badge.textContent = 'job: unavailable';
      badge.className = 'badge';
      badge.title = job.reason;
    } else {
      badge.textContent = 'job: ' + job.state;
      badge.className = 'badge ' + job.state;
      badge.title = job.name + ' (' + job.job_id + ') since ' + job.start_time;
    }
  }

  // ---------------------------------------------------------------- lookups

  function renderTargets() {
    var sel = $('lookup-target');
    var current = sel.value;
    clear(sel);
    var views = el('optgroup', { label: 'views' });
    state.catalog.views.forEach(function (v) { views.appendChild(el('option', { value: 'view:' + v.name }, v.name)); });
    sel.appendChild(views);
    if (state.catalog.services.length) {
      var services = el('optgroup', { label: 'feature services' });
      state.catalog.services.forEach(function (s) { services.appendChild(el('option', { value: 'service:' + s.name }, s.name)); });
      sel.appendChild(services);
    }
    if (current) { sel.value = current; }
    if (!sel.value && state.view) { sel.value = 'view:' + state.view; }
    renderFields();
  }

  function serviceOf(name) {
    var found = null;
    state.catalog.services.forEach(function (s) { if (s.name === name) { found = s; } });
    return found;
  }

  function renderFields() {
    var box = $('lookup-fields');
    var target = $('lookup-target').value;
    var kept = {};
    Array.prototype.forEach.call(box.querySelectorAll('input'), function (i) { kept[i.name] = i.value; });
    clear(box);
    if (target.indexOf('service:') !== 0) { return; }
    var s = serviceOf(target.substring(8));
    if (!s) { return; }
    s.request_fields.forEach(function (f) {
      var input = el('input', { name: f.name, 'data-type': f.type, placeholder: f.type, required: 'required' });
      input.value = kept[f.name] || '';
      box.appendChild(el('label', null, f.name + ' ', input));
    });
  }

  function quote(text) { return "'" + String(text).replace(/'/g, "'\\''") + "'"; }

  function curl(method, path, body) {
    var parts = ['curl -s'];
    if (token()) { parts.push('-H "Authorization: Bearer $FRESHET_TOKEN"'); }
    if (body) { parts.push("-H 'Content-Type: application/json'"); parts.push('-d ' + quote(JSON.stringify(body))); }
    parts.push(quote(location.origin + path));
    return parts.join(' ');
  }

  function typed(type, text) {
    if (type === 'INT64') { return parseInt(text, 10); }
    if (type === 'FLOAT64') { return parseFloat(text); }
    return text;
  }

  function lookup(event) {
    event.preventDefault();
    var target = $('lookup-target').value;
    var entity = $('lookup-entity').value;
    var method = 'GET';
    var path;
    var body = null;
    if (target.indexOf('view:') === 0) {
      path = '/features/' + encodeURIComponent(target.substring(5)) + '/' + encodeURIComponent(entity);
    } else {
      var s = serviceOf(target.substring(8));
      var firstView = s && s.features.length ? viewOf(s.features[0].split(':')[0]) : null;
      var key = firstView ? firstView.entity_key[0] : 'entity';
      var entities = {};
      entities[key] = [entity];
      body = { feature_service: s.name, entities: entities };
      var fields = $('lookup-fields').querySelectorAll('input');
      if (fields.length) {
        body.request_context = {};
        Array.prototype.forEach.call(fields, function (i) {
          body.request_context[i.name] = [typed(i.getAttribute('data-type'), i.value)];
        });
      }
      method = 'POST';
      path = '/get-online-features';
    }
    $('lookup-curl').textContent = curl(method, path, body);
    $('lookup-json').textContent = '…';
    call(method, path, body).then(function (r) {
      $('lookup-json').textContent = 'HTTP ' + r.status + '\n' + (r.json ? JSON.stringify(r.json, null, 2) : r.text);
    }, function (e) {
      $('lookup-json').textContent = e.unauthorized ? 'HTTP 401: give the token above' : String(e);
    });
  }

  // ---------------------------------------------------------------- start

  function refresh() {
    loadCatalog().catch(function (e) {
      if (!e.unauthorized) { status(String(e.message || e)); }
    });
  }

  function start() {
    $('gateway').textContent = location.host;
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
      $('token-input').value = '';
      refresh();
    });
    $('lookup-form').addEventListener('submit', lookup);
    $('lookup-target').addEventListener('change', renderFields);
    $('lookup-copy').addEventListener('click', function () {
      if (navigator.clipboard) { navigator.clipboard.writeText($('lookup-curl').textContent); }
    });
    window.addEventListener('resize', function () {
      Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); });
    });
    refresh();
    state.timer = setInterval(refresh, REFRESH_MS);
  }

  document.addEventListener('DOMContentLoaded', start);
}());
