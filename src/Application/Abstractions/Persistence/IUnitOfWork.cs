namespace TinkerServer.Application.Abstractions.Persistence;

public interface IUnitOfWork
{
    /// <summary>
    /// Commits every change tracked in this scope in one transaction. Throws
    /// <see cref="ConcurrencyConflictException"/> when a row changed or vanished since it was read
    /// (e.g. two deletes of one checkpoint), and <see cref="DuplicateKeyException"/> when an insert
    /// collides with an existing key.
    /// </summary>
    Task SaveChangesAsync(CancellationToken cancellationToken);
}

public sealed class ConcurrencyConflictException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class DuplicateKeyException(string message, Exception? inner = null) : Exception(message, inner);
