"""Ordinary beginner programs run in the sandbox exactly as in CPython.

Nothing here is hard-coded: every program is also run by a real CPython
(``sys.executable -I -S``) with the same stdin, and the sandbox must produce
the same stdout byte for byte. For programs that end in an uncaught exception
the exception's type, message and line must match what CPython's traceback
says (the "Did you mean: ...?" hint CPython appends when it *prints* a
NameError/AttributeError is not part of the message and may be absent).

Turtle programs cannot run headless in CPython; for them the recording is
checked instead (a square drawn with forward/left is 4 segments, ...).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.bounds import ERROR_TYPES

# --------------------------------------------------------------------------
# running the same program in CPython
# --------------------------------------------------------------------------


@dataclass
class Reference:
    stdout: str
    exc_type: str | None
    exc_message: str | None
    exc_line: int | None
    stderr: str


_FILE_LINE = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)')
_LAST_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
_DID_YOU_MEAN = re.compile(r"\. Did you mean: .*\?$")


def run_cpython(source: str, stdin: str, tmp_path: Path) -> Reference:
    program = tmp_path / "program.py"
    program.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", "-S", str(program)],
        input=stdin,
        capture_output=True,
        encoding="utf-8",
        timeout=30,
        cwd=tmp_path,
    )
    if proc.returncode == 0:
        return Reference(proc.stdout, None, None, None, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    exc_line = None
    for ln in lines:
        m = _FILE_LINE.match(ln)
        if m and m.group("file") == str(program):
            exc_line = int(m.group("line"))
    m = _LAST_LINE.match(lines[-1])
    assert m, f"cannot parse CPython's traceback:\n{proc.stderr}"
    exc_type = m.group("type").rsplit(".", 1)[-1]
    return Reference(proc.stdout, exc_type, m.group("msg") or "", exc_line, proc.stderr)


def err(result, key, default=None):
    error = result.error
    if error is None:
        return default
    if isinstance(error, dict):
        return error.get(key, default)
    return getattr(error, key, default)


def describe(result) -> str:
    return f"status={result.status!r} error={result.error!r}\nstdout={result.stdout!r}"


def assert_same_as_cpython(result, ref: Reference) -> None:
    assert result.stdout == ref.stdout, (
        f"stdout differs from CPython\n  CPython: {ref.stdout!r}\n  sandbox: {result.stdout!r}\n"
        f"{describe(result)}"
    )
    if ref.exc_type is None:
        assert result.status == "ok", f"CPython ran it cleanly; {describe(result)}"
        return
    assert result.status == "error", f"CPython raised {ref.exc_type}; {describe(result)}"
    if ref.exc_type in ERROR_TYPES:
        assert err(result, "type") == ref.exc_type, f"CPython: {ref.stderr}\n{describe(result)}"
    else:  # a class the program defined: named by its nearest builtin base, never its own name
        assert err(result, "type") in ERROR_TYPES, describe(result)
    short = _DID_YOU_MEAN.sub("", ref.exc_message)
    assert err(result, "message") in {ref.exc_message, short}, (
        f"CPython: {ref.stderr}\n{describe(result)}"
    )
    assert err(result, "line") == ref.exc_line, f"CPython: {ref.stderr}\n{describe(result)}"


# --------------------------------------------------------------------------
# the programs
# --------------------------------------------------------------------------


def P(prog_id, source, stdin=""):
    return pytest.param(textwrap.dedent(source).lstrip("\n"), stdin, id=prog_id)


PROGRAMS = [
    P("salut-lume", """
        print("Salut, lume!")
        print("Bine ai venit la clubul CODE Kids")
    """),
    P("print-sep-end", """
        print("Ana", "are", "mere", sep="-", end="!\\n")
        print(1, 2, 3, sep="")
        print()
        print("a", end="")
        print("b", end=" ")
        print("c")
        print("x", "y", sep="\\n")
        print("fara", "separator", sep=None, end=None)
    """),
    P("print-star-args", """
        nume = ["Ana", "Mihai", "Ioana"]
        print(*nume)
        print(*nume, sep=", ")
        def spune(*cuvinte):
            print(*cuvinte, sep=" | ")
            print(len(cuvinte), "cuvinte")
        spune("fotbal", "biblioteca", "carte")
        spune()
        print(*range(5), *"abc")
    """),
    P("print-values-repr", """
        print(3.0, 1 / 3, 2 ** 100, -0.0, 1e20, 1e-7)
        print(None, True, False)
        print([1, "doi", 3.5, None], ("Ana",), {"a": 1, "b": [2]})
        print({3, 1, 2}, set(), {}, [], ())
        print("ghilimele 'simple'", repr("text"), repr('a"b'))
        print(str(12) + "3", int("12") + 3)
    """),
    P("input-greeting-prompt", """
        nume = input("Cum te cheama? ")
        print("Salut, " + nume + "!")
        oras = input("Din ce oras esti? ")
        print(nume, "este din", oras)
    """, stdin="Ana\nCluj\n"),
    P("input-numbers-sum", """
        a = int(input("Primul numar: "))
        b = int(input("Al doilea numar: "))
        print("Suma este", a + b)
        print(f"{a} * {b} = {a * b}")
    """, stdin="3\n4\n"),
    P("input-until-stop", """
        carti = []
        while True:
            titlu = input("Titlu (sau stop): ")
            if titlu == "stop":
                break
            carti.append(titlu)
        print("Ai imprumutat", len(carti), "carti:")
        for c in carti:
            print("-", c)
    """, stdin="Amintiri din copilarie\nMos Goriot\nstop\n"),
    P("input-last-line-without-newline", """
        x = input()
        y = input("> ")
        print(repr(x), repr(y))
    """, stdin="Mihai\n  spatii la capat  "),
    P("input-split-map", """
        a, b = input("Doua numere: ").split()
        print(int(a) + int(b))
        note = list(map(int, input().split()))
        print(sum(note) / len(note), max(note), min(note))
    """, stdin="10 32\n9 10 8 7\n"),
    P("input-eof-error", """
        prima = input("Prima linie: ")
        print("Am citit:", prima)
        a_doua = input("A doua linie: ")
    """, stdin="doar una\n"),
    P("input-eof-error-empty-stdin", """
        print("Incepem")
        raspuns = input()
        print("nu ajungem aici")
    """),
    P("class-carte-str-repr", """
        class Carte:
            def __init__(self, titlu, autor, pagini):
                self.titlu = titlu
                self.autor = autor
                self.pagini = pagini

            def __str__(self):
                return f"{self.titlu} de {self.autor}"

            def __repr__(self):
                return f"Carte({self.titlu!r}, {self.autor!r}, {self.pagini})"

            def este_lunga(self):
                return self.pagini > 300

        c = Carte("Ion", "Liviu Rebreanu", 480)
        print(c)
        print([c])
        print(repr(c), str(c))
        print(f"{c} / {c!r}")
        print(c.este_lunga(), Carte("Capra cu trei iezi", "Ion Creanga", 20).este_lunga())
    """),
    P("class-eq-lt-sorted", """
        class Elev:
            def __init__(self, nume, nota):
                self.nume = nume
                self.nota = nota

            def __eq__(self, other):
                return self.nota == other.nota

            def __lt__(self, other):
                return self.nota < other.nota

            def __repr__(self):
                return self.nume + ":" + str(self.nota)

        clasa = [Elev("Ana", 9), Elev("Mihai", 7), Elev("Ioana", 10), Elev("Dan", 7)]
        print(sorted(clasa))
        print(sorted(clasa, reverse=True))
        print(max(clasa), min(clasa))
        print(Elev("X", 5) == Elev("Y", 5), Elev("X", 5) != Elev("Y", 6))
        print(Elev("X", 5) > Elev("Y", 4))
    """),
    P("class-len-and-truthiness", """
        class Biblioteca:
            def __init__(self):
                self.carti = []

            def adauga(self, titlu):
                self.carti.append(titlu)

            def __len__(self):
                return len(self.carti)

        b = Biblioteca()
        print(len(b), bool(b))
        if not b:
            print("Biblioteca e goala")
        b.adauga("Harap-Alb")
        b.adauga("Ursul pacalit de vulpe")
        print(len(b), bool(b))
    """),
    P("class-inheritance-and-super", """
        class Animal:
            def __init__(self, nume):
                self.nume = nume

            def vorbeste(self):
                return "..."

            def prezinta(self):
                return self.nume + " zice " + self.vorbeste()

        class Caine(Animal):
            def vorbeste(self):
                return "Ham!"

        class Pisica(Animal):
            def __init__(self, nume, culoare):
                super().__init__(nume)
                self.culoare = culoare

            def vorbeste(self):
                return "Miau"

        for a in [Animal("Pestele"), Caine("Azor"), Pisica("Tom", "gri")]:
            print(a.prezinta())
        print(isinstance(Caine("R"), Animal), isinstance(Animal("x"), Caine))
    """),
    P("augmented-assignment-names", """
        x = 10
        x += 5
        x -= 3
        x *= 2
        x //= 5
        x **= 3
        x %= 7
        print(x)
        s = "ab"
        s += "c"
        s *= 2
        print(s)
        f = 1.5
        f /= 2
        print(f)
        n = 0b1010
        n |= 1
        n &= 0b1110
        n ^= 0b11
        n <<= 2
        n >>= 1
        print(n)
    """),
    P("augmented-assignment-items", """
        v = [0, 0, 0]
        v[0] += 1
        v[1] -= 2
        v[-1] += 10
        print(v)
        text = "ana are mere ana are pere"
        d = {}
        for w in text.split():
            if w not in d:
                d[w] = 0
            d[w] += 1
        print(d)
        m = [[1, 2, 3], [4, 5, 6]]
        m[1][2] += 100
        m[0][0] *= 7
        print(m)
        scor = {"Ana": [1, 2]}
        scor["Ana"] += [3]
        print(scor)
    """),
    P("augmented-assignment-attributes", """
        class Contor:
            def __init__(self):
                self.n = 0
                self.istoric = []

            def apasa(self):
                self.n += 1
                self.istoric += [self.n]

        c = Contor()
        for i in range(3):
            c.apasa()
        c.n *= 10
        print(c.n, c.istoric)
    """),
    P("list-plus-equals-extends-in-place", """
        a = [1]
        b = a
        a += [2, 3]
        print(a, b, a is b)
        a += "xy"
        print(b)
        t = (1,)
        u = t
        t += (2,)
        print(t, u, t is u)
        s = "ab"
        r = s
        s += "c"
        print(s, r)
    """),
    P("tuple-unpacking", """
        a, b = 1, 2
        a, b = b, a
        print(a, b)
        primul, *restul = [10, 20, 30, 40]
        print(primul, restul)
        *inceput, ultimul = "abcd"
        print(inceput, ultimul)
        (x, y), z = (1, 2), 3
        print(x, y, z)
        echipe = [("Dinamo", 3), ("Rapid", 1), ("CFR", 3)]
        for i, (nume, puncte) in enumerate(echipe, start=1):
            print(i, nume, puncte)
        def min_max(lista):
            return min(lista), max(lista)
        mic, mare = min_max([5, 3, 9])
        print(mic, mare)
    """),
    P("star-args-and-kwargs", """
        def aduna(*numere):
            total = 0
            for n in numere:
                total += n
            return total

        print(aduna(), aduna(1), aduna(1, 2, 3))
        lista = [4, 5, 6]
        print(aduna(*lista))

        def prezinta(nume, varsta=10, **altele):
            print(nume, varsta, sorted(altele.items()))

        prezinta("Ana")
        prezinta("Mihai", 12, oras="Iasi", echipa="Poli")
        date = {"nume": "Ioana", "varsta": 11}
        prezinta(**date)
    """),
    P("lambda-key-functions", """
        elevi = [("Ana", 9.5), ("Mihai", 8.25), ("Ioana", 10), ("Dan", 8.25)]
        print(sorted(elevi, key=lambda e: e[1]))
        print(sorted(elevi, key=lambda e: (-e[1], e[0])))
        dublu = lambda x: x * 2
        print(dublu(21), dublu("ha"))
        note = {"mate": 9, "romana": 10, "info": 8}
        print(max(note, key=lambda k: note[k]))
        print(list(map(lambda x: x ** 2, range(6))))
        print(list(filter(lambda x: x % 2 == 0, range(10))))
    """),
    P("closures", """
        def inmultitor(n):
            def f(x):
                return x * n
            return f

        dublu = inmultitor(2)
        triplu = inmultitor(3)
        print(dublu(5), triplu(5))

        def fa_contor():
            stare = [0]
            def creste():
                stare[0] += 1
                return stare[0]
            return creste

        c = fa_contor()
        c()
        c()
        print(c())
        functii = [lambda x, i=i: x + i for i in range(3)]
        print([f(10) for f in functii])
    """),
    P("nonlocal-counter", """
        def fa_contor():
            numar = 0
            def creste():
                nonlocal numar
                numar += 1
                return numar
            return creste

        c = fa_contor()
        print(c(), c(), c())
    """),
    P("global-score", """
        scor = 0

        def gol():
            global scor
            scor += 1

        for i in range(3):
            gol()
        print("Scor final:", scor)
    """),
    P("try-except-messages", """
        try:
            int("abc")
        except ValueError as e:
            print("Eroare:", e)
        try:
            print(10 / 0)
        except ZeroDivisionError as e:
            print("Nu se poate:", e)
        try:
            d = {"Ana": 1}
            print(d["Mihai"])
        except KeyError as e:
            print("Lipseste cheia", e)
        try:
            [1, 2][5]
        except IndexError as e:
            print(e)
        except Exception:
            print("altceva")
        else:
            print("nu aici")
        finally:
            print("gata")
        try:
            x = 1
        except Exception:
            pass
        else:
            print("fara erori", x)
        try:
            raise ValueError("varsta nu poate fi negativa")
        except (TypeError, ValueError) as e:
            print(repr(e), e.args)
    """),
    P("custom-exception-library", """
        class EroareImprumut(Exception):
            pass

        imprumutate = {"Ion"}

        def imprumuta(titlu):
            if titlu in imprumutate:
                raise EroareImprumut("Cartea " + titlu + " este deja imprumutata")
            imprumutate.add(titlu)
            return "Ai imprumutat " + titlu

        for t in ["Baltagul", "Ion", "Enigma Otiliei"]:
            try:
                print(imprumuta(t))
            except EroareImprumut as e:
                print("Ne pare rau:", e)
        print(sorted(imprumutate))
    """),
    P("str-format", """
        print("{} are {} mere".format("Ana", 3))
        print("{0} {1} {0}".format("da", "nu"))
        print("{nume} joaca la {echipa}".format(nume="Mihai", echipa="Steaua"))
        print("[{:>10}]".format("dreapta"))
        print("[{:<10}]".format("stanga"))
        print("[{:^10}]".format("centru"))
        print("{:.2f}".format(3.14159))
        print("{:05d}".format(42))
        print("{:,}".format(1234567))
        print("{:+d} {:x} {:o} {:b} {:e}".format(5, 255, 8, 5, 12345.678))
        print("{:.1%}".format(0.256))
        print("{pct:*^9.0%}".format(pct=0.5))
        print("{0:{1}}|".format("ab", 5))
        print("{}".format([1, "doi"]), "{!r}".format("sir"))
        print("{{acolade}} {}".format(1))
        print("{:d} de {:s}".format(3, "ori"))
    """),
    P("percent-format", """
        print("%s are %d ani" % ("Ana", 10))
        print("%.3f" % 3.14159)
        print("[%5s|%-5s]" % ("ab", "cd"))
        print("%(nume)s marcheaza %(goluri)d goluri" % {"nume": "Mihai", "goluri": 2})
        print("%x %o %e %g %%" % (255, 8, 12345.678, 0.0001))
        print("%05.1f" % 2.345)
        print("%r" % "sir")
        print("%c%c" % (65, "b"))
    """),
    P("f-strings", """
        nume = "Ioana"
        pret = 12.5
        n = 7
        print(f"{nume} a cumparat {n} carti")
        print(f"[{pret:>8.2f}] [{n:03}] [{nume:^9}]")
        print(f"{nume!r} {nume!s} {nume.upper()}")
        print(f"{n=} {pret * 2=}")
        print(f"{'da' if n > 5 else 'nu'}")
        print(f"{1234567:,} {0.25:.0%} {255:#x} {5:b}")
        latime = 6
        print(f"[{nume:>{latime}}]")
        print(f"{[x * 2 for x in range(3)]}")
        d = {"a": 1}
        print(f"{d['a']} {{literal}}")
    """),
    P("comprehensions", """
        patrate = [x * x for x in range(10)]
        print(patrate)
        pare = [x for x in range(20) if x % 2 == 0]
        print(pare)
        tabla = [[r * c for c in range(1, 4)] for r in range(1, 4)]
        print(tabla)
        plat = [x for rand in tabla for x in rand if x > 2]
        print(plat)
        nume = ["Ana", "Mihai", "Ioana", "Ana"]
        lungimi = {n: len(n) for n in nume}
        print(lungimi)
        initiale = {n[0] for n in nume}
        print(sorted(initiale))
        print(sum(x for x in range(101)))
        print(max(len(n) for n in nume))
        gen = (x * 10 for x in [1, 2, 3])
        print(list(gen), list(gen))
    """),
    P("builtins-sequences", """
        numere = [5, 2, 9, 1]
        print(sorted(numere), sorted(numere, reverse=True), numere)
        print(sorted("banana"), sorted({"b": 1, "a": 2}))
        print(list(zip([1, 2, 3], "abc")), list(zip("ab", [1, 2, 3])))
        print(tuple([1, 2]), tuple("ab"), tuple())
        print(list(reversed(numere)), "".join(reversed("abc")))
        for i, n in enumerate(["zero", "unu"]):
            print(i, n)
        print(list(enumerate("xy", 1)))
        print(list(map(str, numere)), list(map(int, ["1", "2"])))
        print(list(filter(None, [0, 1, "", "a", None, []])))
        print(list(range(10, 0, -3)), list(range(3)), len(range(0, 100, 7)))
        print(dict(zip(["a", "b"], [1, 2])))
        print(list(map(lambda a, b: a + b, [1, 2], [10, 20])))
    """),
    P("builtins-numbers-and-types", """
        print(any([0, 0, 1]), all([1, 1, 0]), any([]), all([]))
        print(sum([1, 2, 3]), sum([0.5, 0.25]), sum([[1], [2]], []))
        print(min(3, 1, 2), max("abc"), min([4, 5], default=0), max([], default="gol"))
        print(round(2.5), round(3.5), round(3.14159, 2), round(1234, -2))
        print(divmod(17, 5), divmod(-17, 5), abs(-3), abs(-2.5))
        print(chr(65), chr(259), ord("a"), ord("ș"))
        print(isinstance(5, int), isinstance("5", (int, float)), isinstance(True, int))
        print(type(5), type("a"), type([]), type(3.0) == float, type(None))
        print(int("42"), int(3.99), int("-7"), float("2.5"), str(3.0), bool(""), bool("0"))
        print(int("ff", 16), hex(255), bin(5), oct(8))
        print(pow(2, 10), pow(2, 10, 1000), 7 // 2, -7 // 2)
        print(len("Mihai"), len([1, 2]), len({"a": 1}))
    """),
    P("math-module", """
        import math
        print(math.sqrt(16), math.floor(2.7), math.ceil(2.1))
        print(math.pi, math.e)
        print(math.gcd(12, 18), math.factorial(10))
        print(math.pow(2, 3), math.hypot(3, 4), math.fabs(-2))
        print(round(math.sin(math.pi / 2), 5), round(math.cos(0), 5))
        print(math.isclose(0.1 + 0.2, 0.3), math.inf > 10 ** 100)
        print(math.log(math.e), math.log10(1000), math.log2(8))
        from math import sqrt, pi
        print(sqrt(2), pi * 2)
        import math as m
        print(m.trunc(-2.5), m.isqrt(17))
    """),
    P("string-module", """
        import string
        print(string.ascii_lowercase)
        print(string.ascii_uppercase)
        print(string.ascii_letters)
        print(string.digits, string.hexdigits, string.octdigits)
        print(string.punctuation)
        print(repr(string.whitespace))
        print(string.capwords("ana are mere"))
        def cezar(text, pas):
            litere = string.ascii_lowercase
            rezultat = ""
            for ch in text:
                if ch in litere:
                    rezultat += litere[(litere.index(ch) + pas) % 26]
                else:
                    rezultat += ch
            return rezultat
        secret = cezar("salut mihai", 3)
        print(secret, cezar(secret, -3))
    """),
    P("while-loops", """
        n = 5
        while n > 0:
            print(n, end=" ")
            n -= 1
        print("Start!")
        i = 0
        while True:
            i += 1
            if i % 2 == 0:
                continue
            if i > 7:
                break
            print("impar", i)
        k = 0
        while k < 3:
            k += 1
        else:
            print("bucla s-a terminat normal", k)
    """),
    P("guess-the-number-with-input", """
        secret = 37
        incercari = 0
        while True:
            ghici = int(input("Ghiceste: "))
            incercari += 1
            if ghici < secret:
                print("Mai mare!")
            elif ghici > secret:
                print("Mai mic!")
            else:
                print("Bravo! Ai ghicit din", incercari, "incercari")
                break
    """, stdin="50\n25\n37\n"),
    P("nested-functions", """
        def raport(elevi):
            def medie(note):
                return sum(note) / len(note)

            def calificativ(m):
                if m >= 9:
                    return "FB"
                if m >= 7:
                    return "B"
                return "S"

            for nume, note in elevi:
                m = medie(note)
                print(f"{nume}: {m:.2f} {calificativ(m)}")

        raport([("Ana", [10, 9, 9]), ("Mihai", [7, 8, 6]), ("Dan", [5, 6, 5])])
    """),
    P("recursion-factorial-fibonacci", """
        def factorial(n):
            if n <= 1:
                return 1
            return n * factorial(n - 1)

        def fib(n):
            if n < 2:
                return n
            return fib(n - 1) + fib(n - 2)

        print([factorial(i) for i in range(8)], factorial(25))
        print([fib(i) for i in range(15)])

        memo = {}
        def fib_rapid(n):
            if n in memo:
                return memo[n]
            r = n if n < 2 else fib_rapid(n - 1) + fib_rapid(n - 2)
            memo[n] = r
            return r
        print(fib_rapid(90))

        def hanoi(n, a, b, c):
            if n == 0:
                return 0
            return hanoi(n - 1, a, c, b) + 1 + hanoi(n - 1, c, b, a)
        print(hanoi(10, "A", "B", "C"))

        def suma_cifre(n):
            return n if n < 10 else n % 10 + suma_cifre(n // 10)
        print(suma_cifre(987654321))
    """),
    P("string-methods", """
        s = "  Ana are Mere  "
        print(s.upper(), s.lower(), s.strip(), s.lstrip(), s.rstrip() + "|")
        t = s.strip()
        print(t.title(), t.capitalize(), t.swapcase())
        print(t.split(), "a,b,,c".split(","), "1 2  3".split(" "))
        print("-".join(["Ana", "Mihai"]), ", ".join("abc"))
        print(t.replace("Mere", "Pere"), t.find("are"), t.find("x"), t.index("A"))
        print(t.count("a"), t.startswith("Ana"), t.endswith("x"))
        print("123".isdigit(), "abc".isalpha(), "Abc".islower(), " ".isspace())
        print("[" + "mijloc".center(12, "*") + "]", "7".zfill(3), "ab".ljust(4, ".") + "|")
        print(t[::-1], t[0], t[-1], t[1:4], t[:3], t[4:])
        print("are" in t, "x" not in t, "ab" * 3, len(t))
        print("ăîșțâ".upper(), "Ştefan".lower())
        print("linia1\\nlinia2".splitlines(), "a-b-c".rsplit("-", 1), "x=1".partition("="))
    """),
    P("list-methods", """
        a = [3, 1, 2]
        a.append(5)
        a.extend([7, 0])
        a.insert(1, 9)
        print(a)
        a.remove(9)
        print(a.pop(), a.pop(0), a)
        print(a.index(5), a.count(2))
        a.sort()
        print(a)
        a.sort(reverse=True)
        print(a)
        a.reverse()
        print(a)
        b = a.copy()
        b.append(100)
        print(a, b)
        a[1:3] = [8, 8, 8]
        print(a)
        del a[0]
        del a[-2:]
        print(a, a[::-1], a * 2, a + [1])
        a.clear()
        print(a, len(a))
        matrice = [[0] * 3 for _ in range(2)]
        matrice[0][1] = 5
        print(matrice)
    """),
    P("dict-methods", """
        echipe = {"Dinamo": 10, "Rapid": 8}
        echipe["FCSB"] = 12
        print(echipe)
        print(echipe.get("CFR"), echipe.get("CFR", 0), echipe.get("Rapid"))
        print(list(echipe.keys()), list(echipe.values()), list(echipe.items()))
        echipe.setdefault("CFR", 7)
        echipe.setdefault("Dinamo", 0)
        echipe.update({"Rapid": 9, "U Cluj": 5})
        print(echipe)
        print(echipe.pop("U Cluj"), "U Cluj" in echipe, "Rapid" in echipe)
        for echipa, puncte in sorted(echipe.items(), key=lambda p: p[1], reverse=True):
            print(f"{echipa:<8}{puncte:>3}")
        copie = dict(echipe)
        copie.clear()
        print(len(echipe), len(copie))
        del echipe["CFR"]
        print(echipe)
    """),
    P("sets", """
        ana = {"fotbal", "sah", "desen"}
        mihai = {"fotbal", "inot"}
        print(sorted(ana | mihai))
        print(sorted(ana & mihai), sorted(ana - mihai), sorted(ana ^ mihai))
        ana.add("robotica")
        ana.discard("sah")
        ana.discard("nu exista")
        print(sorted(ana), len(ana), "inot" in mihai)
        print(sorted(set([3, 1, 3, 2, 1])))
    """),
    P("integer-division-and-floats", """
        print(7 / 2, 7 // 2, -7 // 2, 7 % 3, -7 % 3, 7.5 // 2)
        print(2 ** 10, 2 ** -1, 10 ** 20, 2 ** 0.5)
        print(0.1 + 0.2, 0.1 + 0.2 == 0.3, 1e3, 1.0, 10 / 5)
        print(10 / 3, round(10 / 3, 3), int(10 / 3), float(7))
        print(1 / 7, 22 / 7, 1_000_000 * 3)
        print(3 * 1.1, 100 * 1.1, 0.1 * 3)
        print(abs(-7) // 2, 17 % 5 == 2)
    """),
    P("football-league-table", """
        meciuri = [
            ("Dinamo", 2, "Rapid", 2),
            ("FCSB", 1, "CFR", 0),
            ("Rapid", 3, "FCSB", 1),
            ("CFR", 2, "Dinamo", 2),
            ("Dinamo", 1, "FCSB", 0),
        ]
        puncte = {}
        golaveraj = {}
        for gazde, g1, oaspeti, g2 in meciuri:
            for echipa in (gazde, oaspeti):
                puncte.setdefault(echipa, 0)
                golaveraj.setdefault(echipa, 0)
            golaveraj[gazde] += g1 - g2
            golaveraj[oaspeti] += g2 - g1
            if g1 > g2:
                puncte[gazde] += 3
            elif g1 < g2:
                puncte[oaspeti] += 3
            else:
                puncte[gazde] += 1
                puncte[oaspeti] += 1
        clasament = sorted(puncte, key=lambda e: (-puncte[e], -golaveraj[e], e))
        print(f"{'Loc':<4}{'Echipa':<8}{'Pct':>4}{'GA':>4}")
        for loc, echipa in enumerate(clasament, 1):
            print(f"{loc:<4}{echipa:<8}{puncte[echipa]:>4}{golaveraj[echipa]:>+4}")
    """),
    P("library-loans-classes", """
        class Carte:
            def __init__(self, titlu):
                self.titlu = titlu
                self.imprumutata = False

        class Cititor:
            def __init__(self, nume):
                self.nume = nume
                self.carti = []

            def imprumuta(self, carte):
                if carte.imprumutata:
                    print(f"{carte.titlu} nu este disponibila")
                    return False
                carte.imprumutata = True
                self.carti.append(carte)
                print(f"{self.nume} a imprumutat {carte.titlu}")
                return True

            def returneaza(self, carte):
                self.carti.remove(carte)
                carte.imprumutata = False

        raft = [Carte("Moara cu noroc"), Carte("Luceafarul")]
        ana, mihai = Cititor("Ana"), Cititor("Mihai")
        ana.imprumuta(raft[0])
        mihai.imprumuta(raft[0])
        mihai.imprumuta(raft[1])
        ana.returneaza(raft[0])
        mihai.imprumuta(raft[0])
        print([c.titlu for c in mihai.carti], len(ana.carti))
    """),
    P("tic-tac-toe-board", """
        tabla = [[" "] * 3 for _ in range(3)]
        mutari = [(0, 0, "X"), (1, 1, "O"), (0, 1, "X"), (2, 2, "O"), (0, 2, "X")]
        for r, c, semn in mutari:
            tabla[r][c] = semn
        for i, rand in enumerate(tabla):
            print(" | ".join(rand))
            if i < 2:
                print("--+---+--")
        castig = any(all(tabla[r][c] == "X" for c in range(3)) for r in range(3))
        print("X a castigat!" if castig else "Inca nu")
    """),
    P("generators-and-iterators", """
        def numere_pare(limita):
            n = 0
            while n < limita:
                yield n
                n += 2

        print(list(numere_pare(10)))
        for x in numere_pare(5):
            print(x, end=";")
        print()
        it = iter([1, 2, 3])
        print(next(it), next(it), list(it))
        g = numere_pare(4)
        print(next(g), next(g), next(g, "gata"))
    """),
    P("conditions-and-chained-comparisons", """
        for varsta in [5, 10, 14, 18]:
            if varsta < 7:
                grupa = "mici"
            elif 7 <= varsta < 12:
                grupa = "mijlocii"
            elif varsta < 18:
                grupa = "mari"
            else:
                grupa = "adulti"
            print(varsta, grupa)
        x = None
        print(x is None, x is not None, 1 < 2 < 3 > 2, not True or False and True)
        print(1 if [] else 2, "" or "implicit", 0 and 5, [] == [], [] is [])
    """),
    P("nested-data-grades", """
        clasa = [
            {"nume": "Ana", "note": {"mate": [10, 9], "romana": [9, 9, 10]}},
            {"nume": "Mihai", "note": {"mate": [7, 8], "romana": [8, 6]}},
        ]
        for elev in clasa:
            medii = {}
            for materie, note in elev["note"].items():
                medii[materie] = round(sum(note) / len(note), 2)
            generala = sum(medii.values()) / len(medii)
            print(elev["nume"], medii, f"{generala:.2f}")
        toate = [n for e in clasa for lista in e["note"].values() for n in lista]
        print(len(toate), max(toate), sorted(set(toate)))
    """),
    P("vowel-counter-and-palindromes", """
        vocale = "aeiouăâî"
        def numara_vocale(text):
            return sum(1 for ch in text.lower() if ch in vocale)
        for cuv in ["Ana", "Mihai", "biblioteca", "capac", "Ion"]:
            e_palindrom = cuv.lower() == cuv.lower()[::-1]
            print(f"{cuv:<11}{numara_vocale(cuv):>2} {e_palindrom}")
        print(chr(ord("a") + 1), [ord(c) - ord("a") for c in "abc"])
    """),
    # ---- programs that end in an error ----------------------------------
    P("error-zero-division", """
        print("Impartim prajitura")
        bucati = 0
        print(12 / bucati)
        print("nu ajungem aici")
    """),
    P("error-name-in-function", """
        def afiseaza_scor():
            print("Scorul este:")
            print(punctaj_total)

        afiseaza_scor()
    """),
    P("error-index", """
        echipe = ["Dinamo", "Rapid", "FCSB"]
        for i in range(3):
            print(echipe[i])
        print(echipe[3])
    """),
    P("error-type-concatenate", """
        varsta = 10
        print("Ana are " + varsta + " ani")
    """),
    P("error-type-len-of-int", """
        numar = 12345
        print(len(numar))
    """),
    P("error-value-int-input", """
        n = int(input("Cati ani ai? "))
        print("Peste 5 ani vei avea", n + 5)
    """, stdin="zece\n"),
    P("error-key", """
        telefoane = {"Ana": "0722", "Mihai": "0733"}
        print(telefoane["Ana"])
        print(telefoane["Ioana"])
    """),
    P("error-attribute-typo", """
        carti = ["Ion"]
        carti.apend("Baltagul")
    """),
    P("error-raise-in-nested-call", """
        def verifica(varsta):
            if varsta < 0:
                raise ValueError("varsta nu poate fi negativa")
            return varsta

        def inscrie(nume, varsta):
            print("Inscriem pe", nume)
            return verifica(varsta)

        inscrie("Ana", 9)
        inscrie("Mihai", -1)
    """),
    P("error-assert", """
        scor = -3
        assert scor >= 0, "scorul trebuie sa fie pozitiv"
    """),
    P("error-custom-exception-uncaught", """
        class CarteIndisponibila(Exception):
            pass

        print("Cautam cartea")
        raise CarteIndisponibila("Ion este imprumutata")
    """),
    P("error-sorted-mixed-types", """
        print(sorted([3, "doi", 1]))
    """),
    P("error-unbound-local", """
        total = 0
        def adauga():
            total += 1
        adauga()
    """),
    P("error-recursion-without-base-case", """
        def numara(n):
            return numara(n + 1)
        print(numara(0))
    """),
]


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(PROGRAMS) >= 40


@pytest.mark.parametrize(("source", "stdin"), PROGRAMS)
def test_beginner_program_matches_cpython(sb, tmp_path, source, stdin):
    ref = run_cpython(source, stdin, tmp_path)
    result = sb.run(source, stdin=stdin)
    assert_same_as_cpython(result, ref)


def test_eof_error_matches_cpython(sb, tmp_path):
    """Asking for more input than there is: EOFError, as CPython words it."""
    source = 'a = input("Nume: ")\nprint("Salut", a)\nb = input("Varsta: ")\n'
    ref = run_cpython(source, "Ana\n", tmp_path)
    assert ref.exc_type == "EOFError"
    result = sb.run(source, stdin="Ana\n")
    assert_same_as_cpython(result, ref)
    assert result.stdout == "Nume: Salut Ana\nVarsta: "


RANDOM_PROGRAM = textwrap.dedent("""
    import random
    print(random.randint(1, 100), random.random())
    print(random.choice(["Ana", "Mihai", "Ioana", "Dan"]))
    lista = list(range(10))
    random.shuffle(lista)
    print(lista, random.sample(range(50), 5), random.uniform(1, 2))
    print(random.randrange(0, 100, 5))
    random.seed(7)
    print(random.randint(1, 6), random.randint(1, 6))
""").lstrip()


def test_random_is_seeded_per_run(sb):
    first = sb.run(RANDOM_PROGRAM)
    second = sb.run(RANDOM_PROGRAM)
    assert first.status == "ok", describe(first)
    assert first.stdout == second.stdout
    assert len(first.stdout.splitlines()) == 5


def test_random_seed_inside_the_program_matches_cpython(sb, tmp_path):
    """After an explicit `random.seed(n)` the sequence is CPython's."""
    source = textwrap.dedent("""
        import random
        random.seed(2024)
        print([random.randint(1, 6) for _ in range(10)])
        print(random.random(), random.choice("abcdef"), random.uniform(0, 1))
        x = list(range(8))
        random.shuffle(x)
        print(x, random.sample(range(100), 4), random.randrange(10))
        random.seed("Ana")
        print(random.random())
    """).lstrip()
    ref = run_cpython(source, "", tmp_path)
    result = sb.run(source)
    assert_same_as_cpython(result, ref)


def test_random_matches_cpython_when_the_seed_is_documented(sb, tmp_path):
    import sandbox

    seed = getattr(sandbox, "RANDOM_SEED", None)
    if seed is None:
        pytest.skip("the sandbox documents no fixed seed (sandbox.RANDOM_SEED); determinism is tested above")
    ref = run_cpython(f"import random\nrandom.seed({seed!r})\n" + RANDOM_PROGRAM, "", tmp_path)
    result = sb.run(RANDOM_PROGRAM)
    assert result.stdout == ref.stdout


def test_output_streams_in_order_from_everywhere(sb, tmp_path):
    """Prints from functions, methods, comprehensions and exception handlers keep their order."""
    source = textwrap.dedent("""
        class A:
            def __init__(self):
                print("init")
            def m(self):
                print("metoda")
                return 1
        def f():
            print("functie")
            return A().m()
        print("inceput")
        [print(i) for i in range(2)]
        try:
            f()
            1 / 0
        except ZeroDivisionError:
            print("prins")
        print("sfarsit")
    """).lstrip()
    ref = run_cpython(source, "", tmp_path)
    assert_same_as_cpython(sb.run(source), ref)


# --------------------------------------------------------------------------
# turtle: checked through the recording
# --------------------------------------------------------------------------


def segments(recording) -> list:
    if recording is None:
        return []
    if isinstance(recording, dict):
        for key in ("segments", "lines"):
            if key in recording:
                return list(recording[key])
        raise AssertionError(f"unknown turtle recording shape: {list(recording)}")
    if isinstance(recording, list):
        return recording
    return list(recording.segments)


TURTLE_PROGRAMS = [
    pytest.param("""
        import turtle
        t = turtle.Turtle()
        for i in range(4):
            t.forward(100)
            t.left(90)
        turtle.done()
    """, 4, id="square-with-Turtle-object"),
    pytest.param("""
        import turtle
        turtle.speed(0)
        for i in range(5):
            turtle.forward(120)
            turtle.right(144)
        turtle.done()
    """, 5, id="star-with-module-functions"),
    pytest.param("""
        import turtle
        t = turtle.Turtle()
        t.color("red")
        t.forward(50)
        t.penup()
        t.forward(50)
        t.pendown()
        t.forward(50)
        t.back(20)
    """, 3, id="penup-does-not-draw"),
    pytest.param("""
        import turtle
        t = turtle.Turtle()
        t.goto(100, 0)
        t.goto(100, 100)
        t.penup()
        t.goto(0, 0)
    """, 2, id="goto"),
    pytest.param("""
        from turtle import *
        for latura in range(3):
            forward(80)
            left(120)
        done()
    """, 3, id="triangle-with-star-import"),
    pytest.param("""
        import turtle
        ana = turtle.Turtle()
        mihai = turtle.Turtle()
        ana.forward(10)
        mihai.left(90)
        mihai.forward(10)
    """, 2, id="two-turtles-one-drawing"),
]


@pytest.mark.parametrize(("source", "expected"), TURTLE_PROGRAMS)
def test_turtle_recording(sb, source, expected):
    result = sb.run(textwrap.dedent(source).lstrip())
    assert result.status == "ok", describe(result)
    drawn = segments(result.turtle)
    assert len(drawn) == expected, f"{drawn!r}"


def test_turtle_documentation_example_runs(sb):
    """The first example of CPython's turtle documentation, as children copy it."""
    source = textwrap.dedent("""
        from turtle import *
        color('red', 'yellow')
        begin_fill()
        while True:
            forward(200)
            left(170)
            if abs(pos()) < 1:
                break
        end_fill()
        done()
    """).lstrip()
    result = sb.run(source)
    assert result.status == "ok", describe(result)
    assert len(segments(result.turtle)) == 36  # 36 * 170 degrees = 17 full turns


def test_turtle_position_prints_like_cpython(sb, tmp_path):
    """`pos()` is a Vec2D in CPython: it prints as (x.xx,y.yy) and has abs().

    The reference applies CPython's own turtle arithmetic (Vec2D additions and
    rotations, as TNavigator does) without opening a window.
    """
    program = textwrap.dedent("""
        import turtle
        t = turtle.Turtle()
        t.forward(100)
        t.left(90)
        t.forward(50)
        print(t.pos())
        print(t.position(), abs(t.pos()))
        print(t.xcor(), t.ycor(), t.heading())
        print(t.distance(0, 0))
    """).lstrip()
    reference = textwrap.dedent("""
        import math
        from turtle import Vec2D
        p = Vec2D(0.0, 0.0)
        o = Vec2D(1.0, 0.0)
        p = p + o * 100
        o = o.rotate(90)
        p = p + o * 50
        print(p)
        print(p, abs(p))
        print(p[0], p[1], round(math.atan2(o[1], o[0]) * 180.0 / math.pi, 10) % 360.0)
        print(abs(Vec2D(0, 0) - p))
    """).lstrip()
    ref = run_cpython(reference, "", tmp_path)
    assert ref.exc_type is None, ref.stderr
    result = sb.run(program)
    assert result.status == "ok", describe(result)
    assert result.stdout == ref.stdout


def test_turtle_square_geometry(sb):
    result = sb.run("import turtle\nt = turtle.Turtle()\nfor i in range(4):\n"
                    "    t.forward(100)\n    t.left(90)\n")
    assert result.status == "ok", describe(result)
    drawn = segments(result.turtle)
    if drawn and isinstance(drawn[0], dict) and "x1" in drawn[0]:
        corners = {(s["x1"], s["y1"]) for s in drawn} | {(s["x2"], s["y2"]) for s in drawn}
        assert corners == {(0, 0), (100, 0), (100, 100), (0, 100)}


def test_turtle_circle_is_recorded(sb):
    result = sb.run("import turtle\nturtle.color('blue')\nturtle.circle(50)\n")
    assert result.status == "ok", describe(result)
    assert len(segments(result.turtle)) > 0


def test_program_without_turtle_has_no_drawing(sb):
    result = sb.run("print('fara desen')\n")
    assert result.status == "ok", describe(result)
    assert not segments(result.turtle)
