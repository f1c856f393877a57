// "Sort by distance" for the centre finder, as a progressive enhancement.
//
// The browser asks for the visitor's location and computes every distance
// itself: the coordinates never leave this page (no request of any kind is
// made here). Without JavaScript, or if the location is refused, the list
// keeps its server order and every filter still works.
(function () {
  "use strict";
  var box = document.getElementById("distance-sort");
  var list = document.getElementById("centre-list");
  if (!box || !list || !("geolocation" in navigator)) { return; }
  var button = document.getElementById("sort-by-distance");
  var status = document.getElementById("distance-status");
  box.hidden = false;

  function radians(degrees) { return degrees * Math.PI / 180; }

  // Great-circle distance in kilometres (haversine formula).
  function kilometres(lat1, lon1, lat2, lon2) {
    var dLat = radians(lat2 - lat1);
    var dLon = radians(lon2 - lon1);
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(radians(lat1)) * Math.cos(radians(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  function sortFrom(latitude, longitude) {
    var items = Array.prototype.slice.call(list.children);
    var measured = items.map(function (item, index) {
      var lat = parseFloat(item.getAttribute("data-latitude"));
      var lon = parseFloat(item.getAttribute("data-longitude"));
      var known = !isNaN(lat) && !isNaN(lon);
      return { item: item, index: index, km: known ? kilometres(latitude, longitude, lat, lon) : Infinity };
    });
    measured.sort(function (a, b) { return a.km - b.km || a.index - b.index; });
    measured.forEach(function (entry) {
      var label = entry.item.querySelector(".distance");
      if (label) {
        label.textContent = " · " + (isFinite(entry.km)
          ? box.getAttribute("data-label-distance").replace("%(km)s", String(Math.round(entry.km)))
          : box.getAttribute("data-label-unknown"));
      }
      list.appendChild(entry.item);
    });
    status.textContent = box.getAttribute("data-label-sorted");
  }

  button.addEventListener("click", function () {
    status.textContent = box.getAttribute("data-label-waiting");
    navigator.geolocation.getCurrentPosition(
      function (position) { sortFrom(position.coords.latitude, position.coords.longitude); },
      function () { status.textContent = box.getAttribute("data-label-failed"); },
      { enableHighAccuracy: false, maximumAge: 600000, timeout: 15000 }
    );
  });
})();
