"""The change feed (/v1/changes): every change of a resource, in the order a follower can rely on."""
