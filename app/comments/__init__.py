"""Comments (reacties): the members' discussion on learning questions, cases, insights and
learning groups, one level of replies deep, moderated by facilitators and admins."""
