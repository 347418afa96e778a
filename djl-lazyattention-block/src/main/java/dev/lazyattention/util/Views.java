package dev.lazyattention.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Parameter views owned by a batch's manager.
 *
 * <p>On the PyTorch engine the result of an operation belongs to the manager of its first operand. An
 * operation that starts from a parameter array therefore attaches its result to the model's manager, which
 * lives as long as the model: one leaked tensor per call. Starting from a view owned by the batch manager
 * keeps every intermediate in the batch scope; closing the view does not free the parameter.
 */
public final class Views {

    private Views() {}

    /** A view of {@code parameter} (same storage, same autograd history) that {@code manager} closes. */
    public static NDArray of(NDArray parameter, NDManager manager) {
        NDArray view = parameter.reshape(parameter.getShape());
        view.attach(manager);
        return view;
    }
}
