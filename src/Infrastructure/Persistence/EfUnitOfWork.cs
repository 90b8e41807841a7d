using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TinkerServer.Application.Abstractions.Persistence;

namespace TinkerServer.Infrastructure.Persistence;

/// <summary>Commits the scope's context and turns provider errors into the port's exceptions.</summary>
internal sealed class EfUnitOfWork(AppDbContext db) : IUnitOfWork
{
    // SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE; other constraint kinds (foreign key, not null) are bugs, not races.
    private const int SqlitePrimaryKeyViolation = 1555;
    private const int SqliteUniqueViolation = 2067;

    private readonly AppDbContext _db = db;

    public async Task SaveChangesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException ex)
        {
            // Typically a row deleted or changed by another scope since this one read it (0 rows affected).
            throw new ConcurrencyConflictException("The data changed concurrently; reload and retry.", ex);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            throw new DuplicateKeyException("A row with the same key already exists.", ex);
        }
    }

    internal static bool IsUniqueViolation(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SqliteException { SqliteExtendedErrorCode: SqlitePrimaryKeyViolation or SqliteUniqueViolation }:
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }:
                    return true;
            }
        }

        return false;
    }
}
