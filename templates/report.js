// Shared by the parity and eval reports: sortable tables, the chart tooltip and bar-to-row links.
(function () {
  'use strict';
  var dataEl = document.getElementById('report-data');
  var data = dataEl ? JSON.parse(dataEl.textContent || '{}') : {};
  var tip = document.getElementById('tip');

  function text(tag, cls, s) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = s;
    return e;
  }

  // Tooltip rows come from data.points[i] = { title, sub, rows: [[label, value], ...] }.
  function showTip(i, ev) {
    var p = data.points && data.points[i];
    if (!p || !tip) return;
    tip.textContent = '';
    var head = document.createElement('div');
    head.appendChild(text('span', 'tn', p.title));
    if (p.sub) head.appendChild(text('span', 'tt', p.sub));
    tip.appendChild(head);
    var table = document.createElement('table');
    p.rows.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.appendChild(text('td', '', r[0]));
      tr.appendChild(text('td', 'mono', r[1]));
      table.appendChild(tr);
    });
    tip.appendChild(table);
    tip.hidden = false;
    moveTip(ev);
  }
  function moveTip(ev) {
    if (!tip || tip.hidden) return;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + w > window.innerWidth - 8) x = ev.clientX - w - 14;
    if (y + h > window.innerHeight - 8) y = ev.clientY - h - 14;
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  }
  Array.prototype.forEach.call(document.querySelectorAll('.chart .hit'), function (el) {
    var i = Number(el.getAttribute('data-i'));
    el.addEventListener('mouseenter', function (ev) { el.classList.add('on'); showTip(i, ev); });
    el.addEventListener('mousemove', moveTip);
    el.addEventListener('mouseleave', function () { el.classList.remove('on'); if (tip) tip.hidden = true; });
    el.addEventListener('click', function () {
      var row = document.getElementById(el.getAttribute('data-row') || '');
      if (!row) return;
      row.scrollIntoView({ block: 'center' });
      row.classList.add('flash');
      setTimeout(function () { row.classList.remove('flash'); }, 1200);
    });
  });

  // Sorting: numeric columns read data-v (empty or NaN, i.e. no value, sorts last), text columns the cell text.
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.querySelectorAll('th');
    Array.prototype.forEach.call(heads, function (th, col) {
      if (!th.classList.contains('sortable')) return;
      th.setAttribute('tabindex', '0');
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.getAttribute('data-type') === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (r) {
          var c = r.cells[col];
          if (!num) return (c.textContent || '').toLowerCase();
          var v = Number(c.getAttribute('data-v'));
          return isNaN(v) ? null : v;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === y) return 0;
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : 1) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sort(); } });
    });
  });
})();
