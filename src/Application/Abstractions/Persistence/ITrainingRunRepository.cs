using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Abstractions.Persistence;

public interface ITrainingRunRepository
{
    Task<TrainingRun?> FindAsync(TrainingRunId id, CancellationToken cancellationToken);

    /// <summary>One page of an owner's runs, most recently used first, with the exact total.</summary>
    Task<Page<TrainingRun>> ListAsync(string owner, int offset, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<TrainingRun>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken);

    void Add(TrainingRun run);
}
