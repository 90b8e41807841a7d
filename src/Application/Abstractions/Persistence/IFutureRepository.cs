using TinkerServer.Domain.Futures;

namespace TinkerServer.Application.Abstractions.Persistence;

public interface IFutureRepository
{
    Task<FutureRequest?> FindAsync(string requestId, CancellationToken cancellationToken);

    Task<FutureRequest?> FindByDedupKeyAsync(string dedupKey, CancellationToken cancellationToken);

    /// <summary>Whether the run has any request other than its create_model (load_weights must come first).</summary>
    Task<bool> HasTrainingRequestsAsync(string modelId, CancellationToken cancellationToken);

    void Add(FutureRequest request);
}
