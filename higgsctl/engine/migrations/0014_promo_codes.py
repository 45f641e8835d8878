"""Promo codes and their redemptions (a frozen copy of the models as written here)."""
import datetime

from peewee import BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def up(migrator, db):
    now = datetime.datetime.utcnow

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = BigIntegerField(primary_key=True)

    class LedgerEntry(Base):
        pass

    class PromoCode(Base):
        code = CharField(unique=True)
        credits = BigIntegerField()
        max_uses = IntegerField()
        used = IntegerField(default=0)
        expires_at = DateTimeField(null=True)
        disabled = BooleanField(default=False)
        created_by = CharField()
        created_at = DateTimeField(default=now)

    class PromoRedemption(Base):
        promo = ForeignKeyField(PromoCode, on_delete="RESTRICT")
        user = ForeignKeyField(User, on_delete="RESTRICT")
        ledger = ForeignKeyField(LedgerEntry, on_delete="RESTRICT")
        created_at = DateTimeField(default=now)

        class Meta:
            indexes = ((("promo", "user"), True),)

    db.create_tables([PromoCode, PromoRedemption])
