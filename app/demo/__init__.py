"""The demo community, the Leergemeenschap Amsterdam Circulair as the seed story tells it: the
story as YAML data beside one loader (`app.demo.loader`), which writes it through the services."""
