"""Following: what librarians and coordinators follow about a club's children.

The club page, assignments, the progress grid and a cell's attempts, who needs help now,
the commonest errors of an exercise, meetings and the monthly report, diplomas, and a
child's data (export, delete). Pages in views.py (blueprint ``following``), rules in
service.py. Above the counter and learning, whose rows it reads (ARCHITECTURE.md).
"""
