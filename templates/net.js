// senet show: tooltip, search and folding over the layout computed at generation time.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('net-data').textContent);
  var svg = document.getElementById('graph');
  var FOLDED_H = 30;
  var collapsed = new Set();
  var nodeEls = data.nodes.map(function (_, i) { return document.getElementById('n' + i); });
  var edgeEls = data.edges.map(function (_, i) { return document.getElementById('e' + i); });
  var labelEls = data.edges.map(function (_, i) { return document.getElementById('l' + i); });
  var groupEls = data.groups.map(function (_, i) { return document.getElementById('g' + i); });
  var headEls = data.groups.map(function (_, i) { return document.getElementById('h' + i); });
  var nodeOfLayer = [];
  data.nodes.forEach(function (n, i) { n.l.forEach(function (li) { nodeOfLayer[li] = i; }); });

  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function si(n) {
    var u = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
    for (var i = 0; i < u.length; i++) if (Math.abs(n) >= u[i][0]) return (n / u[i][0]).toFixed(2) + ' ' + u[i][1];
    return String(n);
  }
  function shape(s) { return s.length === 0 ? 'scalar' : s.join('×'); }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }

  // The outermost folded group holding group g (g itself included), or -1.
  function foldedRoot(g) {
    var r = -1;
    for (; g >= 0; g = data.groups[g].p) if (collapsed.has(g)) r = g;
    return r;
  }

  function path(pts) {
    var d = 'M' + pts[0][0] + ',' + pts[0][1];
    for (var i = 1; i < pts.length; i++) {
      var a = pts[i - 1], b = pts[i];
      if (a[0] === b[0]) d += 'L' + b[0] + ',' + b[1];
      else { var m = (a[1] + b[1]) / 2; d += 'C' + a[0] + ',' + m + ' ' + b[0] + ',' + m + ' ' + b[0] + ',' + b[1]; }
    }
    return d;
  }

  function relayout() {
    var bands = [];
    collapsed.forEach(function (g) { if (foldedRoot(g) === g) bands.push(data.groups[g]); });
    bands.sort(function (a, b) { return a.top - b.top; });
    // Folded bands shrink to FOLDED_H; everything below moves up; points inside are squeezed in.
    function Y(y) {
      var shift = 0;
      for (var i = 0; i < bands.length; i++) {
        var b = bands[i];
        if (y >= b.bottom) shift += b.bottom - b.top - FOLDED_H;
        else if (y > b.top) return b.top + FOLDED_H * (y - b.top) / (b.bottom - b.top) - shift;
        else break;
      }
      return y - shift;
    }
    function inBand(y) {
      for (var i = 0; i < bands.length; i++) if (y > bands[i].top && y < bands[i].bottom) return true;
      return false;
    }
    data.nodes.forEach(function (n, i) {
      var el = nodeEls[i];
      var hide = n.g >= 0 && foldedRoot(n.g) >= 0;
      el.style.display = hide ? 'none' : '';
      if (!hide) el.setAttribute('transform', 'translate(' + n.x + ',' + Y(n.y) + ')');
    });
    data.edges.forEach(function (e, i) {
      var gf = data.nodes[e.f].g, gt = data.nodes[e.t].g;
      var rf = gf >= 0 ? foldedRoot(gf) : -1, rt = gt >= 0 ? foldedRoot(gt) : -1;
      var hide = rf >= 0 && rf === rt;
      edgeEls[i].style.display = hide ? 'none' : '';
      if (!hide) edgeEls[i].setAttribute('d', path(e.p.map(function (q) { return [q[0], Y(q[1])]; })));
      var hideLabel = hide || rf >= 0 || inBand(e.ly);
      labelEls[i].style.display = hideLabel ? 'none' : '';
      if (!hideLabel) labelEls[i].setAttribute('y', Y(e.ly));
    });
    data.groups.forEach(function (g, i) {
      var el = groupEls[i];
      var head = headEls[i];
      var above = g.p >= 0 ? foldedRoot(g.p) : -1;
      el.style.display = head.style.display = above >= 0 ? 'none' : '';
      if (above >= 0) return;
      var folded = collapsed.has(i);
      el.classList.toggle('collapsed', folded);
      head.classList.toggle('collapsed', folded);
      var top = Y(g.top);
      var rect = el.querySelector('.gbox');
      rect.setAttribute('y', top);
      rect.setAttribute('height', folded ? FOLDED_H : Y(g.bottom) - top);
      head.setAttribute('transform', 'translate(' + (g.left + 8) + ',' + (top + (folded ? 19 : 14)) + ')');
      head.setAttribute('aria-expanded', folded ? 'false' : 'true');
      head.querySelector('.chev').textContent = folded ? '▸' : '▾';
    });
    var h = Math.ceil(Y(data.height));
    svg.setAttribute('height', h);
    svg.setAttribute('viewBox', '0 0 ' + data.width + ' ' + h);
  }

  function toggle(g) {
    if (collapsed.has(g)) collapsed.delete(g); else collapsed.add(g);
    relayout();
  }
  svg.addEventListener('click', function (ev) {
    var head = ev.target.closest && ev.target.closest('.ghead');
    if (head) toggle(Number(head.getAttribute('data-group')));
  });
  svg.addEventListener('keydown', function (ev) {
    var head = ev.target.closest && ev.target.closest('.ghead');
    if (head && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); toggle(Number(head.getAttribute('data-group'))); }
  });
  document.querySelectorAll('[data-collapse]').forEach(function (b) {
    b.addEventListener('click', function () {
      var kind = b.getAttribute('data-collapse');
      collapsed.clear();
      if (kind !== 'none') data.groups.forEach(function (g, i) { if (g.k === kind) collapsed.add(i); });
      relayout();
    });
  });

  // Tooltip.
  var tip = document.getElementById('tip');
  function tipHtml(i) {
    var l = data.layers[i];
    var rows = [];
    rows.push(['bottoms', l.b.length ? esc(l.b.join(', ')) : '—']);
    rows.push(['tops', esc(l.o.join(', '))]);
    rows.push(['output', '<span class="mono">' + l.s.map(shape).join('<br>') + '</span>']);
    if (l.bs.length) rows.push(['blobs', '<span class="mono">' + l.bs.map(shape).join(', ') + '</span>']);
    rows.push(['params', l.p ? fmt(l.p) + ' <span class="tt">' + si(l.p) + '</span>' : '0']);
    if (l.st) rows.push(['statistics', fmt(l.st)]);
    var share = data.totals.macs ? ' <span class="tt">' + (100 * l.m / data.totals.macs).toFixed(2) + '% of net</span>' : '';
    rows.push(['MACs', l.m ? fmt(l.m) + ' <span class="tt">' + si(l.m) + '</span>' + share : '0']);
    return '<div><span class="tn">' + esc(l.n) + '</span><span class="tt">' + esc(l.t) + '</span></div><table>' +
      rows.map(function (r) { return '<tr><td>' + r[0] + '</td><td>' + r[1] + '</td></tr>'; }).join('') + '</table>';
  }
  var tipFor = -1;
  svg.addEventListener('mousemove', function (ev) {
    var row = ev.target.closest && ev.target.closest('.layer');
    if (!row) { tip.hidden = true; tipFor = -1; return; }
    var i = Number(row.getAttribute('data-i'));
    if (i !== tipFor) { tip.innerHTML = tipHtml(i); tipFor = i; }
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = ev.clientX + 16, y = ev.clientY + 16;
    if (x + w > window.innerWidth - 8) x = ev.clientX - w - 16;
    if (y + h > window.innerHeight - 8) y = ev.clientY - h - 16;
    tip.style.left = Math.max(8, x) + 'px';
    tip.style.top = Math.max(8, y) + 'px';
  });
  svg.addEventListener('mouseleave', function () { tip.hidden = true; tipFor = -1; });

  // Search: every match marked, the current one centred; Enter / Shift+Enter step through.
  var input = document.getElementById('search');
  var count = document.getElementById('search-count');
  var matches = [], cur = -1;
  function clearMarks() {
    document.querySelectorAll('.layer.match, .layer.current, .node.current').forEach(function (el) {
      el.classList.remove('match', 'current');
    });
  }
  function show(k) {
    document.querySelectorAll('.layer.current, .node.current').forEach(function (el) { el.classList.remove('current'); });
    if (!matches.length) return;
    cur = (k + matches.length) % matches.length;
    var li = matches[cur], ni = nodeOfLayer[li];
    var unfold = false;
    for (var g = data.nodes[ni].g; g >= 0; g = data.groups[g].p) if (collapsed.delete(g)) unfold = true;
    if (unfold) relayout();
    var row = document.getElementById('L' + li);
    row.classList.add('current');
    nodeEls[ni].classList.add('current');
    row.scrollIntoView({ block: 'center', inline: 'center' });
    count.textContent = (cur + 1) + ' / ' + matches.length;
  }
  function search() {
    clearMarks();
    var q = input.value.trim().toLowerCase();
    matches = [];
    cur = -1;
    if (!q) { count.textContent = ''; return; }
    data.layers.forEach(function (l, i) { if (l.n.toLowerCase().indexOf(q) >= 0) matches.push(i); });
    // An exact name first.
    matches.sort(function (a, b) { return (data.layers[b].n.toLowerCase() === q) - (data.layers[a].n.toLowerCase() === q) || a - b; });
    matches.forEach(function (i) { document.getElementById('L' + i).classList.add('match'); });
    if (!matches.length) { count.textContent = 'none'; return; }
    show(0);
  }
  input.addEventListener('input', search);
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter') { ev.preventDefault(); show(cur + (ev.shiftKey ? -1 : 1)); }
    if (ev.key === 'Escape') { input.value = ''; search(); }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === '/' && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
  });
})();
