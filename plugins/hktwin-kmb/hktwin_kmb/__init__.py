"""KMB/LWB bus arrivals for HK Twin: a feed source for the estimated-time-of-arrival JSON that
KMB publishes at data.etabus.gov.hk (API v1), and a layer of bus stops with their next arrivals.
Contributions are declared in `hktwin-plugin.toml`.
"""
