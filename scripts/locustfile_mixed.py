"""The simulated people of scripts/bench_mixed.py, for locust (run by that script, not by hand).

Three kinds of user act at once against a running platform:

- crews (role crew) open "my work", open a work order and its record page and submit the checklist with
  photos as the page does (multipart form, CSRF token, the page's client id as Idempotency-Key); now and
  then a phone on a bad line sends the same form again, or twice at once; they also scan facilities' codes;
- supervisors browse the work board (filters, next page), assign new work to a crew member, and turn
  citizen reports from triage into work orders;
- citizens (anonymous, each from an address of its own behind the trusted proxy) scan codes, file a report
  on a scanned facility (sometimes with a photo) and look it up by its tracking number.

Every answer is judged: a success is what a browser expects (a page, or a redirect after a form). A few
other answers are expected under concurrency and count as successes, named and counted apart: a work order
another supervisor assigned first (409), a work order that is no longer open when its record page is opened
or sent (a redirect, or the page again with 409/422 saying so), a report another supervisor accepted first
(409). Anything else is a failure that locust lists with its status and the first words of the page.

Read from the environment: MIXED_PLAN (a JSON file written by bench_mixed.py: accounts, password, codes,
the photo) and MIXED_OUT (where to write the counts of writes and expected answers at the end).
"""
import html
import itertools
import json
import os
import random
import re
import uuid
from collections import Counter

import gevent
from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["MIXED_PLAN"], encoding="utf-8").read())
PHOTO = open(PLAN["photo"], "rb").read()
CODES = PLAN["codes"]
_crews = itertools.cycle(PLAN["crews"])
_supervisors = itertools.cycle(PLAN["supervisors"])

# What the load wrote and which expected non-success answers it met; written to MIXED_OUT at the end.
COUNTS = Counter()
KEYS_SENT = set()  # inspection client ids whose submission was answered as recorded
REPORT_NUMBERS = []  # tracking numbers the citizens were given
REPORT_TOKENS = []  # the unique token in each citizen report's description

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WORK_LINK = re.compile(r'href="/work/(\d+)"')
REPORT_LINK = re.compile(r'href="/reports/(\d+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
ITEM = re.compile(r'<div class="item[^"]*" id="item-([^"]+)" data-type="([^"]+)">')
RANGE = re.compile(r"(?:Normal range|正常范围) (-?[\d.]+)–(-?[\d.]+)")
RADIO = re.compile(r'type="radio" name="item\.[^"]+" value="([^"]+)"')
PHOTO_REQUIRED = ("照片（必须）", "Photo (required)")
PHOTO_ON_FAIL = ("照片（有问题时必须）", "Photo (required if there is a problem)")
NOT_OPEN = ("cannot be submitted", "状态的工单不能提交")
CHANGED_MEANWHILE = ("Someone else changed this in the meantime", "此内容已被他人修改")
SENT = re.compile(r"/report/sent/(R-[0-9A-Z]+)")
CATEGORIES = ("damaged", "blocked", "leaking", "dirty", "dangerous", "other")


@events.quitting.add_listener
def _write_counts(environment, **_kwargs):
    out = os.environ.get("MIXED_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump({"counts": dict(COUNTS), "inspection_keys": sorted(KEYS_SENT),
                       "report_numbers": REPORT_NUMBERS, "report_tokens": REPORT_TOKENS}, handle)


def expected(response, what: str) -> None:
    """An answer that concurrency makes right: a success for locust, counted by what it was."""
    COUNTS[f"expected: {what}"] += 1
    response.success()


def fail(response, what: str) -> None:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text or ""))[:160]
    response.failure(f"{what}: {response.status_code} {text}")


def double_click(send, *args) -> None:
    """Send a form; one time in ten the button is clicked twice and the browser sends it twice at once."""
    if random.random() < 0.1:
        COUNTS["forms sent twice at once (double click)"] += 1
        gevent.joinall([gevent.spawn(send, *args) for _ in range(2)])
    else:
        send(*args)


def csrf_of(page: str) -> str | None:
    found = CSRF.search(page or "")
    return html.unescape(found.group(1)) if found else None


class Staff(HttpUser):
    abstract = True
    pool = None

    def on_start(self):
        self.username = next(self.pool)
        self.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        with self.client.get("/login", name="sign in (page)", catch_response=True) as page:
            token = csrf_of(page.text)
            if page.status_code != 200 or token is None:
                return fail(page, "no sign-in form")
        with self.client.post("/login", data={"csrf_token": token, "username": self.username,
                                              "password": PLAN["password"]},
                              name="sign in", allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302:
                fail(answer, f"signing in as {self.username}")

    def page(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                fail(answer, "not 200")
                return None
            return answer.text


class Crew(Staff):
    weight = 3
    wait_time = between(1, 4)
    pool = _crews

    def on_start(self):
        super().on_start()
        self.open_ids: list[int] = []
        self.done: set[int] = set()

    @task(3)
    def my_work(self):
        text = self.page("/work/mine", "my work")
        if text is not None:
            self.open_ids = [int(i) for i in dict.fromkeys(WORK_LINK.findall(text)) if int(i) not in self.done]

    @task(2)
    def scan(self):
        self.page(f"/A/{random.choice(CODES)}", "scan /A/<code> (crew)")

    @task(1)
    def work_order(self):
        if self.open_ids:
            self.page(f"/work/{random.choice(self.open_ids)}", "work order /work/<id>")

    @task(3)
    def record(self):
        if not self.open_ids:
            return self.my_work()
        order_id = self.open_ids.pop(random.randrange(len(self.open_ids)))
        self.done.add(order_id)
        path = f"/work/{order_id}/record"
        with self.client.get(path, name="record page /work/<id>/record", allow_redirects=False,
                             catch_response=True) as page:
            if page.status_code == 303:
                # On hold (listed in "my work" but not to record), or done or cancelled since "my work" was read.
                return expected(page, "record page of work not to record now: on hold, done or cancelled (303)")
            if page.status_code != 200:
                return fail(page, "record page")
            form = self.fill(page.text)
            if form is None:
                return fail(page, "record page without a form")
        fields, files = form
        repeat = random.random()
        if repeat < 0.05:
            COUNTS["inspections sent twice at once"] += 1
            # A double tap that the page's script did not stop: the same form twice at once.
            twins = [gevent.spawn(self.submit, path, fields, files) for _ in range(2)]
            gevent.joinall(twins)
        else:
            self.submit(path, fields, files)
            if repeat < 0.15:
                COUNTS["inspections sent again"] += 1
                # A phone on a bad line that never saw the answer sends the same form again.
                self.submit(path, fields, files, again=True)

    def fill(self, page: str):
        token, key = csrf_of(page), KEY.search(page)
        if token is None or key is None:
            return None
        fields = {"csrf_token": token, "idempotency_key": key.group(1), "notes": "巡查完成，现场情况已记录。",
                  "time_spent_min": str(random.randint(10, 90)), "latitude": "26.08", "longitude": "119.31",
                  "accuracy_m": "12"}
        files = [("photos", ("visit.jpg", PHOTO, "image/jpeg"))]
        failed_one = random.random() < 0.05  # a problem found: a finding, perhaps rectification work
        blocks = ITEM.split(page)[1:]
        for number, (item_key, item_type, block) in enumerate(zip(blocks[::3], blocks[1::3], blocks[2::3])):
            block = block.split('<div class="item', 1)[0]
            name = f"item.{item_key}"
            fails = failed_one and item_type == "pass_fail" and number == 0
            if item_type == "pass_fail":
                fields[name] = "fail" if fails else "pass"
            elif item_type == "number":
                bounds = RANGE.search(block)
                low, high = (float(bounds.group(1)), float(bounds.group(2))) if bounds else (1.0, 1.0)
                fields[name] = f"{(low + high) / 2:g}"
            elif item_type == "choice":
                choices = RADIO.findall(block)
                if choices:
                    fields[name] = choices[0]
            elif item_type == "note":
                fields[name] = "正常"
            if f'name="photo.{item_key}"' in block and (
                    item_type == "photo" or any(t in block for t in PHOTO_REQUIRED)
                    or (fails and any(t in block for t in PHOTO_ON_FAIL))):
                files.append((f"photo.{item_key}", ("item.jpg", PHOTO, "image/jpeg")))
        return fields, files

    def submit(self, path, fields, files, again: bool = False):
        name = "record submit (again)" if again else "record submit"
        with self.client.post(path, data=fields, files=files, headers={"Idempotency-Key": fields["idempotency_key"]},
                              name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code == 303:
                COUNTS["inspection answered as recorded"] += 1
                KEYS_SENT.add(fields["idempotency_key"])
            elif answer.status_code in (409, 422) and any(t in answer.text for t in NOT_OPEN):
                # Cancelled by the calendar's day, or completed by a team mate, while the page was open.
                expected(answer, f"record of work no longer open ({answer.status_code})")
            elif answer.status_code == 409 and any(t in answer.text for t in CHANGED_MEANWHILE):
                # A team mate recorded the same team work at the same moment, and was first.
                expected(answer, "record of work a team mate recorded at the same moment (409)")
            else:
                fail(answer, "record not accepted")


class Supervisor(Staff):
    weight = 1
    wait_time = between(1, 4)
    pool = _supervisors

    @task(4)
    def board(self):
        query = random.choice(("", "", "?priority=urgent", "?priority=high", "?status=in_progress",
                               "?status=new", "?kind=inspection"))
        text = self.page(f"/work{query}", "board /work")
        if text is not None and random.random() < 0.3:
            after = re.search(r'href="(/work\?[^"]*after=[^"]+)"', text)
            if after:
                self.page(html.unescape(after.group(1)), "board /work, next page")

    @task(2)
    def assign(self):
        text = self.page("/work?status=new", "board /work?status=new")
        ids = list(dict.fromkeys(WORK_LINK.findall(text or "")))
        if not ids:
            return
        order_id = random.choice(ids[:20])
        detail = self.page(f"/work/{order_id}", "work order /work/<id>")
        if detail is None or f"/work/{order_id}/assign" not in detail:
            return
        form = detail.split(f"/work/{order_id}/assign", 1)[1].split("</form>", 1)[0]
        version, token = VERSION.search(form), csrf_of(form)
        people = re.search(r'name="assignee_user"[^>]*>(.*?)</select>', form, re.S)
        choices = [v for v in re.findall(r'value="(\d+)"', people.group(1))] if people else []
        if not (version and token and choices):
            return
        data = {"csrf_token": token, "version": version.group(1), "reason": "",
                "assignee_user": random.choice(choices), "assignee_team": ""}
        double_click(self.send_assignment, order_id, data)

    def send_assignment(self, order_id, data):
        with self.client.post(f"/work/{order_id}/assign", name="assign /work/<id>/assign", allow_redirects=False,
                              data=data, catch_response=True) as answer:
            if answer.status_code == 303:
                COUNTS["work orders assigned"] += 1
                answer.success()
            elif answer.status_code == 409:
                expected(answer, "assigned by another supervisor, or the other click, first (409)")
            else:
                fail(answer, "assignment")

    @task(1)
    def triage(self):
        text = self.page("/reports/triage?status=new", "triage /reports/triage")
        ids = list(dict.fromkeys(REPORT_LINK.findall(text or "")))
        if not ids:
            return
        report_id = random.choice(ids[:10])
        detail = self.page(f"/reports/{report_id}", "citizen report /reports/<id>")
        if detail is None or f"/reports/{report_id}/accept" not in detail:
            return
        form = detail.split(f"/reports/{report_id}/accept", 1)[1].split("</form>", 1)[0]
        token = csrf_of(form)
        if token is None:
            return
        double_click(self.send_accept, report_id, token)

    def send_accept(self, report_id, token):
        with self.client.post(f"/reports/{report_id}/accept", data={"csrf_token": token}, allow_redirects=False,
                              name="accept report /reports/<id>/accept", catch_response=True) as answer:
            if answer.status_code in (302, 303):
                COUNTS["reports accepted"] += 1
                answer.success()
            elif answer.status_code == 409:
                expected(answer, "report accepted by another supervisor, or the other click, first (409)")
            else:
                fail(answer, "accepting a report")


class Citizen(HttpUser):
    weight = 4
    wait_time = between(1, 4)

    def on_start(self):
        self.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        self.new_phone()
        self.numbers: list[str] = []

    def new_phone(self):
        # Each citizen a phone of its own: the rate limit counts reports per address (behind one trusted proxy)
        # and per device cookie, so a new phone comes without the last one's cookies.
        self.client.cookies.clear()
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        self.client.headers["X-Forwarded-For"] = address

    @task(8)
    def scan(self):
        with self.client.get(f"/A/{random.choice(CODES)}", name="scan /A/<code> (citizen)",
                             catch_response=True) as answer:
            if answer.status_code != 200:
                fail(answer, "not 200")

    @task(1)
    def report(self):
        code = random.choice(CODES)
        with self.client.get(f"/A/{code}/report", name="report form /A/<code>/report", catch_response=True) as page:
            token = csrf_of(page.text)
            if page.status_code != 200 or token is None:
                return fail(page, "report form")
        marker = uuid.uuid4().hex
        fields = {"csrf_token": token, "category": random.choice(CATEGORIES),
                  "description": f"井盖松动，路过车辆有异响，请尽快处理。编号 {marker}", "contact_name": "",
                  "contact_phone": "13800000000" if random.random() < 0.5 else "", "lon": "119.31", "lat": "26.08"}
        files = [("photo", ("report.jpg", PHOTO, "image/jpeg"))] if random.random() < 0.3 else None
        with self.client.post(f"/A/{code}/report", data=fields, files=files, allow_redirects=False,
                              name="report submit /A/<code>/report", catch_response=True) as answer:
            sent = SENT.search(answer.headers.get("Location", ""))
            if answer.status_code in (302, 303) and sent:
                COUNTS["citizen reports answered as sent"] += 1
                REPORT_TOKENS.append(marker)
                REPORT_NUMBERS.append(sent.group(1))
                self.numbers.append(sent.group(1))
                answer.success()
            else:
                return fail(answer, "report not sent")
        self.page_of(f"/report/sent/{sent.group(1)}", "report sent /report/sent/<number>")
        # The next report is another citizen's, on another phone.
        self.new_phone()

    @task(1)
    def status(self):
        if self.numbers:
            self.page_of(f"/report/status?number={random.choice(self.numbers)}", "report status /report/status")

    def page_of(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                fail(answer, "not 200")
