"""Plumbing every stage shares: Beam options and the local cluster, ports, the orphan
reaper, output folders that appear whole, remote URIs, start-up noise."""
