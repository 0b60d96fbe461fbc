"""Alternative: scratch keys of one's own + MULTI, merge via temp + RENAME, other key layout for dims."""

import uuid
from datetime import date


def _key(page, d):
    return "hll:{}:{}".format(page, d.strftime("%Y-%m-%d"))


def _span(start, end):
    return [date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1)]


def track_visit(r, page, visitor_id, day):
    r.execute_command("PFADD", _key(page, day), visitor_id)


def unique_visitors(r, page, day):
    return r.pfcount(_key(page, day))


def unique_visitors_between(r, page, start, end):
    tmp = f"tmp:{uuid.uuid4().hex}"
    p = r.pipeline(transaction=True)
    p.pfmerge(tmp, *[_key(page, d) for d in _span(start, end)])
    p.pfcount(tmp)
    p.delete(tmp)
    return p.execute()[1]


def merge_week(r, page, week_start):
    dest = "hll:{}:week:{}".format(page, week_start.strftime("%Y-%m-%d"))
    tmp = f"tmp:{uuid.uuid4().hex}"
    d0 = week_start.toordinal()
    r.pfmerge(tmp, *[_key(page, date.fromordinal(d0 + i)) for i in range(7)])
    r.rename(tmp, dest)
    return dest


def track_event(r, visitor_id, day, **dims):
    for dim, value in dims.items():
        r.pfadd(f"uv:{day}:{dim}:{value}", visitor_id)


def unique_by(r, day, dim, value):
    return r.pfcount(f"uv:{day}:{dim}:{value}")
