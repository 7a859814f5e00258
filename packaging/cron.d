# /etc/cron.d/lastmile — lastmile's schedule by cron. Shipped DISABLED: every job line is commented out.
#
# To enable: edit MAILTO below to the team that answers for the data feed, remove the leading "# " of the
# two job lines, and save (cron re-reads this file by itself). Use either this file or the systemd timers
# (lastmile-nightly.timer, lastmile-monday.timer), not both; the shared lock would refuse the second job.
# This file is a conffile: your edits survive upgrades. Times are the server's local time unless CRON_TZ
# is set. Each job runs through lastmile-cron: /etc/lastmile/lastmile.env, one job at a time, output
# appended to /var/log/lastmile/lastmile.log, and on failure one line on stderr, which cron mails to MAILTO.
# --metrics-file: remove it if prometheus-node-exporter is not installed on this host. See
# /usr/share/doc/lastmile/operations.md.gz.
SHELL=/bin/bash
PATH=/usr/bin:/bin
MAILTO=hie-data-ops@example.org

# m  h  dom mon dow  user      command
# Nightly load at 02:00: refresh reference data named by the pipeline, extract, match, consent, flags, load.
# 0    2  *   *   *    lastmile  [ -x /usr/bin/lastmile-cron ] && /usr/bin/lastmile-cron -- run pipelines/nightly.yaml --log-format json --metrics-file /var/lib/prometheus/node-exporter/lastmile.prom
# Monday 06:00: each practice's absenteeism list, consent re-checked on the day. Waits up to 30 minutes for a
# nightly run that is still going instead of refusing at once.
# 0    6  *   *   1    lastmile  [ -x /usr/bin/lastmile-cron ] && /usr/bin/lastmile-cron --wait 1800 -- report absenteeism --all-practices --log-format json
