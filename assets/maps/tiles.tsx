<?xml version="1.0" encoding="UTF-8"?>
<!-- Emberkeep's tiles (art/tiles.png, four 32-pixel tiles in a row, as the client draws them): each tile's `terrain` says what its square is. -->
<tileset version="1.10" tiledversion="1.11.0" name="tiles" tilewidth="32" tileheight="32" tilecount="4" columns="4">
 <image source="../art/tiles.png" width="128" height="32"/>
 <tile id="0">
  <properties>
   <property name="terrain" value="floor"/>
  </properties>
 </tile>
 <tile id="1">
  <properties>
   <property name="terrain" value="wall"/>
  </properties>
 </tile>
 <tile id="2">
  <properties>
   <property name="terrain" value="difficult"/>
  </properties>
 </tile>
 <tile id="3">
  <properties>
   <property name="terrain" value="door"/>
  </properties>
 </tile>
</tileset>
